"""The pool on Ray: model commands, reconnect after an engine restart, and a worker dying mid-query."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from llm_support import ChatModel

from byzer_engine.lang.errors import ByzerRuntimeError
from byzer_engine.runtime import Engine

pytestmark = pytest.mark.slow

# These tests are about the pool computing answers, so they bypass the result cache.
ASK = """llm_response_predict(chat(llm_param(map("instruction", q, "max_length", "40", "cache", "false"))))"""


def test_model_list_shows_the_pool_and_its_stats(chat_model: ChatModel) -> None:
    chat_model.run("select chat(array('What is 2 plus 2?')) as r as out;")
    rows = {row["name"]: row for row in chat_model.run("!byzerllm model list;")}
    row = rows[chat_model.name]
    assert row["type"] == "model" and row["status"] == "running"
    assert row["backend"] == "llamacpp" and row["model"] == "SmolLM2-135M-Instruct"
    assert row["workers"] == 2 and row["busy"] + row["idle"] == 2
    assert row["requests_served"] >= 1 and row["distinct_computed"] >= 1


def test_model_exists(chat_model: ChatModel) -> None:
    assert chat_model.run(f"!byzerllm model exists {chat_model.name};") == [
        {"name": chat_model.name, "exists": True, "type": "model"}
    ]
    assert chat_model.run("!byzerllm model exists no_such_model;")[0]["exists"] is False


def test_setup_returns_the_settings_and_refuses_bad_keys(chat_model: ChatModel) -> None:
    rows = chat_model.run(
        '!byzerllm setup single;\n!byzerllm setup "workerMaxConcurrency=2";', owner="llm_setup"
    )
    assert {r["key"]: r["value"] for r in rows}["workerMaxConcurrency"] == "2"
    with pytest.raises(ByzerRuntimeError, match="maxConcurrency must be a whole number"):
        chat_model.run('!byzerllm setup "maxConcurrency=two";', owner="llm_setup")


def test_deploy_errors_name_the_key(chat_model: ChatModel) -> None:
    with pytest.raises(ByzerRuntimeError, match="udfName is required"):
        chat_model.run('run command as LLM.`` where action="infer";')
    with pytest.raises(ByzerRuntimeError, match="localModelDir '/no/such/model' does not exist"):
        chat_model.run(
            'run command as LLM.`` where action="infer" and udfName="m2" and localModelDir="/no/such/model";'
        )
    with pytest.raises(ByzerRuntimeError, match="unknown LLM action 'train'"):
        chat_model.run('run command as LLM.`` where action="train" and udfName="m2";')


def test_remove_undeploys_and_unregisters(chat_model: ChatModel) -> None:
    owner = "llm_remove"
    deployed = chat_model.run(
        """!byzerllm setup single;
run command as LLM.`` where action="infer" and udfName="short_lived" and backend.batch_size="4";""",
        owner=owner,
    )
    assert deployed[0]["status"] == "deployed" and deployed[0]["workers"] == 1
    assert "short_lived" in {r["name"] for r in chat_model.run("!byzerllm model list;", owner=owner)}
    assert chat_model.run("!byzerllm model remove short_lived;", owner=owner) == [
        {"name": "short_lived", "removed": True, "type": "model"}
    ]
    assert chat_model.run("!byzerllm model exists short_lived;", owner=owner)[0]["exists"] is False
    with pytest.raises(ByzerRuntimeError):
        chat_model.run("select short_lived(array('hi')) as r as out;", owner=owner)
    assert chat_model.run("!byzerllm model remove short_lived;", owner=owner)[0]["removed"] is False


def test_reconnect_from_a_new_engine_in_the_same_ray(chat_model: ChatModel) -> None:
    # A second Engine stands for a restarted one: fresh owner sessions, the same process Ray.
    restarted = Engine(chat_model.engine.config)
    owner = chat_model.owner
    with pytest.raises(ByzerRuntimeError):
        restarted.run_script("select chat(array('hi')) as r as out;", owner=owner)
    rows = restarted.run_script(
        f'run command as LLM.`` where action="infer" and udfName="{chat_model.name}" and reconnect="true";',
        owner=owner,
    ).rows
    assert rows[0]["status"] == "reconnected" and rows[0]["workers"] == 2
    answer = restarted.run_script(
        "select llm_response_predict(chat(llm_param(map('instruction', 'Answer briefly: What is the capital of Japan?',"
        " 'max_length', '24')))) as a as out;",
        owner=owner,
    ).rows
    assert "Tokyo" in answer[0]["a"]
    with pytest.raises(ByzerRuntimeError, match="no model is deployed as 'never_deployed'"):
        restarted.run_script(
            'run command as LLM.`` where action="infer" and udfName="never_deployed" and reconnect="true";',
            owner=owner,
        )


def test_a_worker_killed_mid_query_still_answers_every_row(chat_model: ChatModel) -> None:
    import ray

    from byzer_engine.llm.pool.client import get_master

    master = get_master(chat_model.name)
    assert master is not None
    before = chat_model.stats()
    outcome: dict[str, Any] = {}

    def query() -> None:
        try:
            outcome["rows"] = chat_model.run(
                f"""select concat('Write one sentence about the number ', cast(id as string), '.') as q
from range(1, 21) as numbers;
select q, {ASK} as a from numbers as out;"""
            )
        except Exception as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=query)
    thread.start()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not any(w["in_flight"] for w in chat_model.stats()["worker_stats"]):
        time.sleep(0.1)
    busy = [w for w in chat_model.stats()["worker_stats"] if w["in_flight"]]
    assert busy, "the query never reached the pool"
    handles = ray.get(master.worker_handles.remote())
    victim = next(
        h for h, w in zip(handles, chat_model.stats()["worker_stats"], strict=False) if w["in_flight"]
    )
    ray.kill(victim)
    thread.join(timeout=600)
    assert "error" not in outcome, outcome.get("error")
    rows = outcome["rows"]
    assert len(rows) == 20 and all(isinstance(r["a"], str) and r["a"] for r in rows)
    after = chat_model.stats()
    assert after["retries"] > before["retries"]
    # The dead worker is replaced in the background; the pool gets back to full strength.
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and chat_model.stats()["alive"] < 2:
        time.sleep(0.5)
    final = chat_model.stats()
    assert final["alive"] == 2
    assert sum(w["restarts"] for w in final["worker_stats"]) > sum(
        w["restarts"] for w in before["worker_stats"]
    )


def test_a_killed_master_is_restarted_with_its_workers(chat_model: ChatModel) -> None:
    import ray

    from byzer_engine.llm.pool.client import get_master

    master = get_master(chat_model.name)
    assert master is not None
    old_pid = chat_model.stats()["master_pid"]
    ray.kill(master, no_restart=False)  # as a crash or an OOM kill would end it
    # The restarted master loads its workers again, and the model answers through it.
    rows = chat_model.run(f"select {ASK} as a from (select 'Say hello.' as q) as out;")
    assert isinstance(rows[0]["a"], str) and rows[0]["a"]
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and chat_model.stats()["alive"] < 2:
        time.sleep(0.5)
    after = chat_model.stats()
    assert after["master_restarted"] is True and after["master_pid"] != old_pid
    assert after["alive"] == 2
    listed = {row["name"]: row for row in chat_model.run("!byzerllm model list;")}[chat_model.name]
    assert listed["status"] == "running"
    assert json.loads(listed["detail"])["master_restarted"] is True
