"""``LLMBatch`` end to end on the deployed packaged model: chunks, kill, hard stop, resume.

Requests opt out of the result cache (``param.cache="false"``), so every row the model answers is a
counted request in ``llm_usage`` and recomputation cannot hide behind a cache hit.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from llm_support import ChatModel

from byzer_engine.lang.errors import ByzerError

pytestmark = pytest.mark.slow

ROWS = 24
CHUNK = 2
WAIT_S = 240
INPUT = (
    f"select concat('Name the number ', cast(id as string), ' in words.') as q, id as n "
    f"from range({ROWS}) as qs;"
)


def batch(out: str) -> str:
    return (
        INPUT + f'run qs as LLMBatch.`{out}` where udfName="chat" and inputCol="q" and '
        f'chunkRows="{CHUNK}" and `param.max_length`="8" and `param.cache`="false" as answers;'
    )


def requests_of(chat_model: ChatModel, job: str) -> int:
    rows = chat_model.run(f"load _mlsql_.`llm_usage` as u; select * from u where job = '{job}' as mine;")
    return sum(int(row["requests"]) for row in rows)


def chunks_in(folder: Path) -> int:
    return len(list(folder.glob("chunk-*.parquet"))) if folder.is_dir() else 0


def table(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(r["row_id"], r["q"], r["n"], r["answer"]) for r in rows]


@pytest.fixture(scope="module")
def reference(chat_model: ChatModel) -> list[tuple[Any, ...]]:
    """An uninterrupted run: every row answered once, in row-id order."""
    result = chat_model.engine.run_script(
        batch("batch/reference"), owner=chat_model.owner, job_name="batch-reference"
    )
    rows = table(result.rows)
    # One progress line per committed chunk: rows done / total, tokens per second, ETA.
    progress = [m for m in result.messages if m.startswith("LLMBatch batch/reference:")]
    assert len(progress) == ROWS // CHUNK
    assert progress[0].startswith(f"LLMBatch batch/reference: {CHUNK}/{ROWS} rows, ")
    assert "tokens/s, ETA " in progress[0] and progress[-1].endswith("ETA 0:00:00")
    assert [r[0] for r in rows] == list(range(ROWS))
    assert all(r[3] for r in rows)
    assert requests_of(chat_model, "batch-reference") == ROWS
    loaded = chat_model.run("load parquet.`batch/reference` as l; select * from l order by row_id as o;")
    assert table(loaded) == rows
    return rows


def home(chat_model: ChatModel, engine_data_root: Path) -> Path:
    return engine_data_root / chat_model.owner


def test_a_finished_batch_run_again_computes_nothing(
    chat_model: ChatModel, reference: list[tuple[Any, ...]]
) -> None:
    again = table(chat_model.run(batch("batch/reference"), job_name="batch-again"))
    assert again == reference
    assert requests_of(chat_model, "batch-again") == 0


def test_a_killed_batch_resumes_to_the_uninterrupted_result(
    chat_model: ChatModel, reference: list[tuple[Any, ...]], engine_data_root: Path
) -> None:
    folder = home(chat_model, engine_data_root) / "batch" / "killed"
    outcome: dict[str, BaseException | None] = {}

    def run() -> None:
        try:
            chat_model.run(batch("batch/killed"), job_name="batch-killed")
            outcome["error"] = None
        except BaseException as error:
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + WAIT_S
    while chunks_in(folder) < 2:
        assert time.monotonic() < deadline and thread.is_alive(), outcome
        time.sleep(0.2)
    assert chat_model.engine.kill(job_name="batch-killed")
    thread.join(WAIT_S)
    assert isinstance(outcome.get("error"), ByzerError), outcome
    committed = chunks_in(folder)
    assert 2 <= committed < ROWS // CHUNK

    resumed = table(chat_model.run(batch("batch/killed"), job_name="batch-resumed"))
    assert resumed == reference
    # The resumed run asked the model for exactly the rows outside the committed chunks.
    assert requests_of(chat_model, "batch-resumed") == ROWS - committed * CHUNK


def test_a_hard_stopped_engine_resumes_to_the_uninterrupted_result(
    chat_model: ChatModel,
    reference: list[tuple[Any, ...]],
    engine_data_root: Path,
    ray_address: str,
    tmp_path: Path,
) -> None:
    folder = home(chat_model, engine_data_root) / "batch" / "hard"
    script = (
        'run command as LLM.`` where action="infer" and udfName="chat" and '
        'pretrainedModelType="custom/auto" and reconnect="true";\n' + batch("batch/hard")
    )
    folder.parent.mkdir(parents=True, exist_ok=True)
    log = (tmp_path / "run.log").open("wb")
    env = {**os.environ, "BYZER_RAY_ADDRESS": ray_address, "BYZER_DATA_ROOT": str(engine_data_root)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "byzer_engine", "run", "-e", script, "--owner", chat_model.owner],
        env=env,
        cwd=folder.parent.parent,  # the owner's home: the CLI resolves paths against its working folder
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the kill takes its Spark JVM too
    )
    try:
        deadline = time.monotonic() + WAIT_S
        while chunks_in(folder) < 2:
            running = proc.poll() is None
            assert time.monotonic() < deadline and running, (tmp_path / "run.log").read_text()[-3000:]
            time.sleep(0.2)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(WAIT_S)
        log.close()
    committed = chunks_in(folder)
    assert 2 <= committed < ROWS // CHUNK
    # Progress went to stderr as plain lines (stderr is no terminal here).
    assert f"LLMBatch batch/hard: {CHUNK}/{ROWS} rows, " in (tmp_path / "run.log").read_text()

    resumed = table(chat_model.run(batch("batch/hard"), job_name="batch-hard-resumed"))
    assert resumed == reference
    assert requests_of(chat_model, "batch-hard-resumed") == ROWS - committed * CHUNK


def test_resuming_with_other_options_is_refused(chat_model: ChatModel, reference: list[Any]) -> None:
    other = batch("batch/reference").replace(f'chunkRows="{CHUNK}"', 'chunkRows="5"')
    with pytest.raises(ByzerError, match="holds a batch with other options"):
        chat_model.run(other)


def test_a_missing_input_column_is_a_clear_error(chat_model: ChatModel) -> None:
    script = INPUT + 'run qs as LLMBatch.`batch/bad` where udfName="chat" and inputCol="nope";'
    with pytest.raises(ByzerError, match="the input has no column 'nope'"):
        chat_model.run(script)


def test_an_undeployed_function_is_a_clear_error(chat_model: ChatModel) -> None:
    script = INPUT + 'run qs as LLMBatch.`batch/bad` where udfName="nochat" and inputCol="q";'
    with pytest.raises(ByzerError, match="no function 'nochat' is deployed"):
        chat_model.run(script)


def wait_for_status(folder: Path, wanted: str) -> dict[str, Any]:
    import json

    deadline = time.monotonic() + WAIT_S
    while True:
        try:
            status: dict[str, Any] = json.loads((folder / "_status.json").read_text())
        except (OSError, ValueError):
            status = {}
        if status.get("status") == wanted:
            return status
        assert time.monotonic() < deadline and status.get("status") in (None, "running"), status
        time.sleep(0.2)


def test_a_detached_batch_is_a_listed_job_that_can_be_killed_and_resumed(
    chat_model: ChatModel, reference: list[tuple[Any, ...]], engine_data_root: Path
) -> None:
    folder = home(chat_model, engine_data_root) / "batch" / "detached"
    start = batch("batch/detached").replace(" as answers;", ' and detached="true" and jobName="bg" as s;')
    (started,) = chat_model.run(start)
    assert started["jobName"] == "bg" and started["status"] == "running"
    deadline = time.monotonic() + WAIT_S
    while chunks_in(folder) < 2:
        assert time.monotonic() < deadline, (folder / "_status.json").read_text()
        time.sleep(0.2)
    jobs = chat_model.run("load _mlsql_.`jobs` as j; select * from j where jobName = 'bg' as mine;")
    assert [job["jobType"] for job in jobs] == ["llmbatch"]
    assert chat_model.engine.kill(job_name="bg")
    wait_for_status(folder, "killed")
    committed = chunks_in(folder)
    assert 2 <= committed < ROWS // CHUNK

    resume = start.replace('jobName="bg"', 'jobName="bg-resumed"')
    chat_model.run(resume)
    wait_for_status(folder, "succeeded")
    loaded = chat_model.run("load parquet.`batch/detached` as l; select * from l order by row_id as o;")
    assert table(loaded) == reference
    assert requests_of(chat_model, "bg-resumed") == ROWS - committed * CHUNK
