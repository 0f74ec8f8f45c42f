"""The llamacpp backend behind a pool on Ray: the default for the packaged model, answering through
SQL, and a worker killed mid-query replaced while the query completes."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from llm_support import ChatModel

from byzer_engine.runtime import Engine

pytestmark = pytest.mark.slow

NATIVE = "native_chat"
OWNER = "llamacpp_pool"
DEPLOY = f"""
!byzerllm setup single;
!byzerllm setup "maxConcurrency=2";
run command as LLM.`` where action="infer" and udfName="{NATIVE}" and infer_backend="llamacpp"
  and backend.batch_size="4" and cache="false";
"""
ASK = f"""llm_response_predict({NATIVE}(llm_param(map("instruction", q, "max_length", "64", "temperature", "0"))))"""


@pytest.fixture(scope="module")
def native(engine: Engine, ray_address: str) -> Iterator[ChatModel]:
    model = ChatModel(engine, name=NATIVE, owner=OWNER)
    rows = model.run(DEPLOY)
    assert rows[0]["backend"] == "llamacpp" and rows[0]["workers"] == 2
    yield model
    model.run(f"!byzerllm model remove {NATIVE};")


def test_the_packaged_model_deploys_on_llamacpp_by_default(native: ChatModel) -> None:
    rows = native.run(
        '!byzerllm setup single;\nrun command as LLM.`` where action="infer" and udfName="default_kind";'
    )
    try:
        assert rows[0]["backend"] == "llamacpp"
    finally:
        native.run("!byzerllm model remove default_kind;")


def test_capitals_through_sql(native: ChatModel) -> None:
    rows = native.run(
        f"""select q from values ('What is the capital of France? Answer with the city name only.'),
  ('What is the capital of Japan? Answer with the city name only.'),
  ('What is the capital of Italy? Answer with the city name only.') as t(q) as questions;
select q, {ASK} as a from questions as out;"""
    )
    answers = {r["q"].split(" of ")[1].split("?")[0]: r["a"] for r in rows}
    assert (
        sum(
            city in answers[country]
            for country, city in (("France", "Paris"), ("Japan", "Tokyo"), ("Italy", "Rome"))
        )
        >= 2
    ), answers


def test_a_worker_killed_mid_query_is_replaced_and_the_query_completes(native: ChatModel) -> None:
    # A worker is killed as soon as one has requests in flight: a few short answers are enough.
    rows_asked = 12
    import ray

    from byzer_engine.llm.pool.client import get_master

    master = get_master(NATIVE)
    assert master is not None
    before = native.stats(NATIVE)
    outcome: dict[str, Any] = {}

    def query() -> None:
        try:
            outcome["rows"] = native.run(
                f"""select concat('Write a short story about the number ', cast(id as string), '.') as q
from range(1, {rows_asked + 1}) as numbers;
select q, {ASK.replace('"64"', '"24"')} as a from numbers as out;"""
            )
        except Exception as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=query)
    thread.start()
    victim = None
    deadline = time.monotonic() + 300
    while victim is None and time.monotonic() < deadline and thread.is_alive():
        stats = native.stats(NATIVE)["worker_stats"]
        handles = ray.get(master.worker_handles.remote())
        victim = next((h for h, w in zip(handles, stats, strict=False) if w["in_flight"]), None)
        time.sleep(0.05)
    assert victim is not None, "the query never reached a worker"
    ray.kill(victim)
    thread.join(timeout=600)
    assert "error" not in outcome, outcome.get("error")
    rows = outcome["rows"]
    assert len(rows) == rows_asked and all(isinstance(r["a"], str) and r["a"] for r in rows)
    assert native.stats(NATIVE)["retries"] > before["retries"]
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and native.stats(NATIVE)["alive"] < 2:
        time.sleep(0.5)
    final = native.stats(NATIVE)
    assert final["alive"] == 2
    assert sum(w["restarts"] for w in final["worker_stats"]) > sum(
        w["restarts"] for w in before["worker_stats"]
    )
