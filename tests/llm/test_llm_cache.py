"""The result cache: deterministic answers kept across queries and restarts, size-capped, opt-out."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest
from llm_support import ChatModel

from byzer_engine.lang.errors import ByzerError
from byzer_engine.llm.backends.base import BackendConfig
from byzer_engine.llm.pool.cache import ResultCache, cacheable, folder_signature, model_identity
from byzer_engine.llm.requests import parse_request
from byzer_engine.llm.settings import resolve


def _answer(request_text: str, output: str) -> tuple[object, dict[str, object]]:
    request = parse_request({"instruction": request_text})
    return request, {
        "output": output,
        "input": request.raw,
        "metadata": {"input_tokens": 5, "output_tokens": 2},
    }


def test_an_answer_is_found_again_by_a_new_cache_on_the_same_folder(tmp_path: Path) -> None:
    request, response = _answer("What is 2 plus 2?", "4")
    ResultCache(str(tmp_path), "model-a", 1 << 20).store([(request, response)])  # type: ignore[list-item]
    reopened = ResultCache(str(tmp_path), "model-a", 1 << 20)  # as after a restart
    (hit,) = reopened.lookup([request]).values()  # type: ignore[list-item]
    assert hit["output"] == "4" and hit["metadata"] == {
        "input_tokens": 5,
        "output_tokens": 2,
        "cache_hit": True,
    }
    assert ResultCache(str(tmp_path), "model-b", 1 << 20).lookup([request]) == {}  # type: ignore[list-item]


def test_only_deterministic_successful_requests_that_did_not_opt_out_are_kept(tmp_path: Path) -> None:
    cache = ResultCache(str(tmp_path), "m", 1 << 20)
    greedy = parse_request({"instruction": "a"})
    sampled = parse_request({"instruction": "a", "temperature": "0.7"})
    opted_out = parse_request({"instruction": "a", "cache": "false"})
    embedding = parse_request({"instruction": "a", "embedding": "true", "temperature": "0.7"})
    failed = parse_request({"instruction": "b"})
    assert cacheable(greedy) and cacheable(embedding)
    assert not cacheable(sampled) and not cacheable(opted_out)
    ok = {"output": "x", "metadata": {}}
    cache.store([(greedy, ok), (sampled, ok), (opted_out, ok), (embedding, ok), (failed, {"error": "e"})])
    found = cache.lookup([greedy, sampled, opted_out, embedding, failed])
    assert sorted(found) == [0, 3]


def test_the_least_recently_used_entries_go_when_the_cap_is_passed(tmp_path: Path) -> None:
    pairs = [_answer(f"question {i}", "x" * 400) for i in range(3)]
    size = len(json.dumps(pairs[0][1]))
    cache = ResultCache(str(tmp_path), "m", int(size * 3.5))
    for pair in pairs:  # one at a time, so each has its own last-used time
        cache.store([pair])  # type: ignore[list-item]
    assert cache.stats()["entries"] == 3
    cache.lookup([pairs[0][0]])  # type: ignore[list-item]  # question 0 is now the most recently used
    cache.store([_answer("question 3", "x" * 400)])  # type: ignore[list-item]
    kept = cache.lookup([p[0] for p in pairs])  # type: ignore[misc]
    assert 0 in kept and 1 not in kept
    assert cache.stats()["bytes"] <= size * 3.5


def test_a_folder_the_cache_cannot_use_is_a_miss_not_an_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cache = ResultCache(str(blocker / "cache"), "m", 1 << 20)
    request, response = _answer("q", "a")
    cache.store([(request, response)])  # type: ignore[list-item]
    assert cache.lookup([request]) == {}  # type: ignore[list-item]


def test_the_model_identity_follows_the_model_files_and_settings(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(b"0" * 10)
    config = BackendConfig(backend="transformers", model_type="custom/auto", model_dir=str(tmp_path))
    first = model_identity(config, str(tmp_path))
    moved = BackendConfig(
        backend="transformers", model_type="custom/auto", model_dir=str(tmp_path), num_cpus=3
    )
    assert model_identity(moved, str(tmp_path)) == first  # where it runs does not change its answers
    signature = folder_signature(str(tmp_path))
    weights.write_bytes(b"1" * 11)
    os.utime(weights, ns=(1, 1))
    assert folder_signature(str(tmp_path)) != signature
    assert model_identity(config, str(tmp_path)) != first


def test_the_cache_settings_are_checked() -> None:
    assert resolve({}, {}).cache is True
    assert resolve({"cache": "false"}, {}).cache is False
    assert resolve({}, {"cache": "off", "cacheMaxMB": "8"}).cache_max_mb == 8
    with pytest.raises(ByzerError, match="cache must be"):
        resolve({}, {"cache": "sometimes"})


@pytest.mark.slow
def test_a_rerun_query_is_answered_by_the_cache_and_counted(chat_model: ChatModel) -> None:
    tag = uuid.uuid4().hex[:8]
    questions = ", ".join(f"('Name colour number {i} ({tag}).')" for i in range(6))
    script = (
        f"select * from values {questions} as t(q) as qs;\n"
        """select q, chat(llm_param(map("instruction", q, "max_length", "8"))) as r from qs as out;"""
    )
    first = chat_model.run(script, job_name=f"cache-first-{tag}")
    before = chat_model.stats()
    second = chat_model.run(script, job_name=f"cache-second-{tag}")
    after = chat_model.stats()
    assert after["distinct_computed"] == before["distinct_computed"]  # no model call
    assert after["cache_hits"] - before["cache_hits"] == 6

    def outputs(rows: list[dict[str, object]]) -> dict[object, object]:
        return {row["q"]: json.loads(row["r"][0])["output"] for row in rows}  # type: ignore[index]

    assert outputs(second) == outputs(first)
    usage = {
        row["job"]: row
        for row in chat_model.run("load _mlsql_.`llm_usage` as u;")
        if str(row["job"]).endswith(tag)
    }
    assert usage[f"cache-first-{tag}"]["cache_hits"] == 0
    assert usage[f"cache-second-{tag}"]["cache_hits"] == 6
    assert usage[f"cache-second-{tag}"]["input_tokens"] == 0

    # A request that opts out is computed again.
    chat_model.run(script.replace('"max_length", "8"', '"max_length", "8", "cache", "false"'))
    assert chat_model.stats()["distinct_computed"] - after["distinct_computed"] == 6
