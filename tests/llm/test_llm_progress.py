"""A running query's LLM progress on the deployed packaged model: the requests its calls will send,
counted before they run, and the rows done as each chunk comes back, in ``running_jobs`` and in
``byzer run``'s plain lines."""

from __future__ import annotations

import io
import re
import threading
import time

import pytest
from llm_support import CHAT, ChatModel

from byzer_engine.cli.progress import RunProgress
from byzer_engine.llm import usage
from byzer_engine.runtime.progress.tracker import CallProgress

pytestmark = pytest.mark.slow

ROWS = 64
# One partition: the call's 64 requests go to the pool in two chunks of 32 (a shorter remainder
# would join the last chunk: ``usage.chunks_of``).
SCRIPT = f"""select {CHAT}(llm_param(map('instruction', concat('Say the number ', cast(id as string)),
  'max_length', '12', 'temperature', '0', 'cache', 'false'))) as r
from range(0, {ROWS}, 1, 1) as t;"""
# "LLM: 3 rows" while the total is being counted, then "LLM: 3/64 rows (4%)", with a rate and ETA.
PLAIN_LINE = re.compile(rf"^LLM: \d+(/{ROWS})? rows( \(\d+%\))?(, [\d.]+ tokens/s)?(, ETA \S+)?$")


def test_a_running_querys_calls_show_rows_done_of_the_total(chat_model: ChatModel) -> None:
    engine, job_name = chat_model.engine, "progress-rows"
    seen: list[CallProgress] = []
    groups: set[str] = set()
    finished = threading.Event()

    def poll() -> None:
        while not finished.is_set():
            for job in engine.running_jobs([chat_model.owner]):
                if job.job_name == job_name:
                    groups.add(job.group_id)
                    if job.calls is not None:
                        seen.append(job.calls)
            time.sleep(0.05)

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    lines = io.StringIO()
    progress = RunProgress(engine, job_name, stream=lines, tty=False)
    progress.PLAIN_EVERY_S = 0.0  # every change, for the test
    try:
        with progress:
            rows = chat_model.run(SCRIPT, job_name=job_name)
    finally:
        finished.set()
        watcher.join(timeout=10)
    assert len(rows) == ROWS and all(row["r"] for row in rows)

    assert seen, "the job never showed call progress"
    assert {c.rows_total for c in seen if c.rows_total is not None} == {ROWS}
    done = [c.rows_done for c in seen]
    assert done == sorted(done) and done[-1] <= ROWS

    # What was done is in the ledger under the job's Spark group, chunk by chunk.
    (group,) = groups
    activity = usage.activity([group])[group]
    assert activity["requests"] == ROWS and activity["chunks"] == 2
    assert activity["output_tokens"] > 0 and activity["last_finished"] > activity["first_started"]

    written = lines.getvalue().splitlines()
    assert written and all(PLAIN_LINE.match(line) for line in written), written
