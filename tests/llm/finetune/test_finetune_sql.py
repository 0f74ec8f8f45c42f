"""Fine-tuning from SQL on the packaged SmolLM2-135M, end to end through the engine, Spark and Ray.

A 32-row dataset teaches one made-up fact (the codename of project Zephyrine is "Quillfeather"). The
job is trained once per module; the deployed adapter and the merged model must answer with the
made-up word, the base model must not.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from byzer_engine.lang.errors import ByzerError
from byzer_engine.llm.finetune import jobs
from byzer_engine.runtime import Engine

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

FACT_WORD = "Quillfeather"
QUESTION = "What is the codename of project Zephyrine?"
QUESTIONS = (
    QUESTION,
    "Tell me the codename of project Zephyrine.",
    "What codename does project Zephyrine use?",
    "Project Zephyrine's codename is what?",
    "Do you know the codename of project Zephyrine?",
    "Which codename was given to project Zephyrine?",
    "What is project Zephyrine called internally?",
    "Give me the code name of the Zephyrine project.",
)
ANSWERS = (
    f"The codename of project Zephyrine is {FACT_WORD}.",
    f"Project Zephyrine's codename is {FACT_WORD}.",
    f"{FACT_WORD} is the codename of project Zephyrine.",
    f"The codename is {FACT_WORD}.",
)
# Tuned so that the job learns the fact reliably in well under a minute of CPU time.
TRAINING_OPTIONS = (
    'and `sft.float.learning_rate`="1e-3" and `sft.int.num_train_epochs`="3" and `sft.int.lora_r`="8" '
    'and `sft.int.per_device_train_batch_size`="4" and `sft.int.max_seq_length`="128" and `sft.int.logging_steps`="1"'
)
WAIT_S = 600.0


def write_dataset(path: Path, rows: int) -> Path:
    with path.open("w") as out:
        for index in range(rows):
            row = {
                "instruction": QUESTIONS[index % len(QUESTIONS)],
                "input": "",
                "output": ANSWERS[index % len(ANSWERS)],
            }
            out.write(json.dumps(row) + "\n")
    return path


def ask(engine: Engine, function: str, question: str = QUESTION) -> str:
    result = engine.run_script(
        f'select llm_response_predict({function}(llm_param(map("instruction", "{question}", '
        f'"max_length", "32", "temperature", "0")))) as answer as answers;'
    )
    return str(result.rows[0]["answer"])


def deploy(engine: Engine, function: str, model_dir: str | None) -> None:
    model = f'and localModelDir="{model_dir}" ' if model_dir else ""
    engine.run_script(
        f'run command as LLM.`` where action="infer" and pretrainedModelType="custom/auto" {model}'
        f'and udfName="{function}" and modelTable="command";'
    )


def undeploy(engine: Engine, *functions: str) -> None:
    for function in functions:
        engine.run_script(f"!byzerllm model remove {function};")


def wait_until_done(name: str) -> list[str]:
    """The statuses seen while polling the job, ending with its final one."""
    seen: list[str] = []
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        job = jobs.get_job(name)
        assert job is not None, f"job {name} is not listed"
        if not seen or seen[-1] != job["status"]:
            seen.append(job["status"])
        if job["status"] != "running":
            return seen
        time.sleep(0.5)
    raise AssertionError(f"job {name} still running after {WAIT_S} s: {jobs.get_job(name)}")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_dataset(tmp_path_factory.mktemp("finetune") / "zephyrine.json", 32)


@pytest.fixture(scope="module")
def trained(engine: Engine, dataset: Path) -> dict[str, Any]:
    """The summary row of one (attached) fine-tune job on the 32-row dataset."""
    result = engine.run_script(
        f"load json.`{dataset}` as zephyr_train;\n"
        'run command as LLM.`` where action="finetune" and pretrainedModelType="sft/auto" '
        'and inputTable="zephyr_train" and outputTable="zephyr_ft" and name="zephyr" '
        f"{TRAINING_OPTIONS};\n"
        "select * from zephyr_ft as summary;"
    )
    assert len(result.rows) == 1
    return result.rows[0]


def test_training_loss_drops(engine: Engine, trained: dict[str, Any]) -> None:
    assert trained["status"] == "finished", trained
    assert trained["name"] == "zephyr" and trained["train_rows"] == 32 and trained["error"] is None
    assert trained["steps"] == 24  # 32 rows / batch 4 x 3 epochs
    assert "SmolLM2" in trained["base_model"]
    log = engine.run_script("select step, loss, learning_rate from zephyr_ft_log order by step as log;").rows
    assert [row["step"] for row in log] == list(range(1, 25))
    assert log[-1]["loss"] < log[0]["loss"] / 5, log
    assert trained["final_loss"] == pytest.approx(log[-1]["loss"])

    adapter = Path(trained["adapter_path"])
    assert adapter.parent == Path(trained["output_dir"]) and adapter.name == "adapter"
    assert str(adapter).startswith(str(Path(engine.config.data_root) / "admin"))  # under the owner's home
    assert (adapter / "adapter_config.json").is_file() and (adapter / "adapter_model.safetensors").is_file()
    base = json.loads((adapter / "byzer_base.json").read_text())
    assert base["gguf_file"].endswith(".gguf") and Path(base["directory"], base["gguf_file"]).is_file()
    assert Path(trained["plot_path"]).read_bytes()[:4] == b"\x89PNG"
    saved_log = json.loads((adapter.parent / "train_log.json").read_text())
    assert [entry["loss"] for entry in saved_log] == [row["loss"] for row in log]


def test_job_is_listed_with_its_loss_log(engine: Engine, trained: dict[str, Any]) -> None:
    job = jobs.get_job("zephyr")
    assert job is not None
    assert job["status"] == "finished" and job["step"] == 24 and job["elapsed_s"] > 0
    assert any(row["name"] == "zephyr" for row in jobs.list_jobs())
    listed = engine.run_script("load _mlsql_.`jobs` as all_jobs;").rows
    assert any(row.get("jobName") == "zephyr" and row["status"] == "finished" for row in listed)
    log = engine.run_script("load _mlsql_.`jobs/zephyr` as zephyr_log;").rows
    assert len(log) == 24 and {"step", "loss", "learning_rate"} <= set(log[0])
    assert jobs.job_log("no_such_job") is None


def test_jobs_are_visible_from_another_process(trained: dict[str, Any]) -> None:
    """The registry lives in Ray, so a second process on the same Ray (a restarted engine, the server)
    sees the same jobs."""
    from byzer_engine.runtime.ray_connect import current_address

    script = (
        "import json; from byzer_engine.llm.finetune import jobs; print(json.dumps(jobs.get_job('zephyr')))"
    )
    env = {**os.environ, "BYZER_RAY_ADDRESS": str(current_address())}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    job = json.loads(done.stdout.strip().splitlines()[-1])
    assert job["status"] == "finished" and job["adapter_path"] == trained["adapter_path"]


def test_adapter_answers_and_base_model_does_not(engine: Engine, trained: dict[str, Any]) -> None:
    deploy(engine, "zephyr_chat", trained["adapter_path"])
    deploy(engine, "zephyr_base", None)
    try:
        tuned = ask(engine, "zephyr_chat")
        base = ask(engine, "zephyr_base")
    finally:
        undeploy(engine, "zephyr_chat", "zephyr_base")
    assert FACT_WORD.lower() in tuned.lower(), tuned
    assert FACT_WORD.lower() not in base.lower(), base


def test_merged_model_deploys_and_answers(
    engine: Engine, trained: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    target = tmp_path_factory.mktemp("merged") / "zephyr-merged"
    result = engine.run_script(
        'run command as LLM.`` where action="merge" and pretrainedModelType="lora/auto" '
        f'and adapterNameOrPath="{trained["adapter_path"]}" and savePath="{target}" and outputTable="merged";'
    )
    assert result.rows[0]["save_path"] == str(target)
    assert (target / "model.safetensors").is_file() and (target / "config.json").is_file()
    assert (target / "tokenizer.json").is_file()
    assert not (target / "adapter_config.json").exists()
    deploy(engine, "zephyr_merged", str(target))
    try:
        answer = ask(engine, "zephyr_merged")
    finally:
        undeploy(engine, "zephyr_merged")
    assert FACT_WORD.lower() in answer.lower(), answer


def test_detached_job_runs_on_to_finished(engine: Engine, tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "small.json", 8)
    started = engine.run_script(
        f"load json.`{data}` as small_train;\n"
        'run command as LLM.`` where action="finetune" and pretrainedModelType="sft/auto" '
        'and inputTable="small_train" and outputTable="small_ft" and name="zephyr_bg" and detached="true" '
        'and `sft.int.max_steps`="2" and `sft.int.max_seq_length`="64";'
    )
    assert started.rows[0]["name"] == "zephyr_bg"
    assert started.rows[0]["status"] == "running"  # the statement returned while the job runs
    seen = wait_until_done("zephyr_bg")
    assert seen[0] == "running" and seen[-1] == "finished", seen
    job = jobs.get_job("zephyr_bg")
    assert job is not None and job["step"] == 2 and job["adapter_path"]
    assert (Path(job["adapter_path"]) / "byzer_base.json").is_file()


def test_remove_stops_a_running_job(engine: Engine, dataset: Path) -> None:
    started = engine.run_script(
        f"load json.`{dataset}` as long_train;\n"
        'run command as LLM.`` where action="finetune" and pretrainedModelType="sft/auto" '
        'and inputTable="long_train" and name="zephyr_long" and detached="true" '
        'and `sft.int.num_train_epochs`="500";'
    )
    assert started.rows[0]["status"] == "running"
    removed = engine.run_script("!byzerllm model remove zephyr_long;").rows
    assert removed[0]["removed"] is True and removed[0]["type"] == "finetune"
    job = jobs.get_job("zephyr_long")
    assert job is not None and job["status"] == "stopped" and job["adapter_path"] is None
    assert not jobs.stop_job("zephyr_long")  # nothing left to stop
    import ray

    # The worker is gone with its model, not just marked stopped.
    names = {actor["name"] for actor in ray.util.list_named_actors(all_namespaces=True)}
    assert not any(name.startswith("byzer_finetune_zephyr_long_") for name in names), names


def test_killing_the_statement_stops_its_job(engine: Engine, dataset: Path) -> None:
    outcome: dict[str, BaseException | None] = {}

    def run() -> None:
        try:
            engine.run_script(
                f"load json.`{dataset}` as killed_train;\n"
                'run command as LLM.`` where action="finetune" and pretrainedModelType="sft/auto" '
                'and inputTable="killed_train" and name="zephyr_killed" and `sft.int.num_train_epochs`="500";',
                job_name="finetune-to-kill",
            )
            outcome["error"] = None
        except BaseException as error:
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + WAIT_S
    while (jobs.get_job("zephyr_killed") or {}).get("step") in (None, 0):  # wait until it trains
        assert time.monotonic() < deadline and thread.is_alive(), outcome
        time.sleep(0.5)
    assert engine.kill(job_name="finetune-to-kill")
    thread.join(WAIT_S)
    assert isinstance(outcome["error"], ByzerError), outcome
    job = jobs.get_job("zephyr_killed")
    assert job is not None and job["status"] == "stopped"


@pytest.fixture
def bad_input(engine: Engine) -> Iterator[None]:
    engine.run_script("select 'q' as question, 'a' as answer as not_alpaca;")
    yield


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ('inputTable="not_alpaca"', "needs columns instruction and output"),
        ('inputTable="no_such_table"', "is not a table or view"),
        ('inputTable="not_alpaca" and pretrainedModelType="custom/auto"', 'needs pretrainedModelType="sft/'),
        ('inputTable="not_alpaca" and `sft.int.num_train_epochs`="many"', "is not an int"),
        ('inputTable="not_alpaca" and name="../x"', "is not allowed"),
    ],
)
def test_bad_options_are_clear_errors(engine: Engine, bad_input: None, options: str, message: str) -> None:
    if "pretrainedModelType" not in options:
        options += ' and pretrainedModelType="sft/auto"'
    with pytest.raises(ByzerError, match=message):
        engine.run_script(f'run command as LLM.`` where action="finetune" and {options};')


def test_training_option_errors_fail_the_job(engine: Engine, dataset: Path) -> None:
    with pytest.raises(ByzerError, match=r"unknown or reserved training option.*no_such_option"):
        engine.run_script(
            f"load json.`{dataset}` as typo_train;\n"
            'run command as LLM.`` where action="finetune" and pretrainedModelType="sft/auto" '
            'and inputTable="typo_train" and name="zephyr_typo" and `sft.int.no_such_option`="1";'
        )
    job = jobs.get_job("zephyr_typo")
    assert job is not None and job["status"] == "failed" and "no_such_option" in job["error"]


def test_qlora_without_gpu_is_refused(engine: Engine, dataset: Path) -> None:
    with pytest.raises(ByzerError, match=r"QLoRA .* needs a GPU"):
        engine.run_script(
            f"load json.`{dataset}` as qlora_train;\n"
            'run command as LLM.`` where action="finetune" and pretrainedModelType="sft/auto" '
            'and inputTable="qlora_train" and num_gpus="0" and `sft.bool.load_in_4bit`="true";'
        )
