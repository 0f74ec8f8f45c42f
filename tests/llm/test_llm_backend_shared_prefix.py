"""Shared-prefix KV in the transformers backend: the same greedy answers as the plain path."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from byzer_engine.llm.backends import BackendConfig, create_backend
from byzer_engine.llm.backends.hf import TransformersBackend
from byzer_engine.llm.backends.shared_prefix import MIN_SHARED_TOKENS, common_prefix_length, prefixed_batch
from byzer_engine.llm.requests import parse_request

pytestmark = pytest.mark.slow

SYSTEM = "You are a geography teacher. Answer with the city name and one short sentence. " * 6
QUESTIONS = [
    "What is the capital of France?",
    "What is the capital of Japan, the island country in East Asia?",
    "What is the capital of Italy?",
    "Which city is the capital of Spain?",
]


def _backend(prefix_order: str) -> TransformersBackend:
    config = BackendConfig(
        backend="transformers",
        model_type="custom/auto",
        threads=2,
        options={"prefix_order": prefix_order, "batch_size": "8"},
    )
    created = create_backend(config)
    assert isinstance(created, TransformersBackend)
    return created


@pytest.fixture(scope="module")
def backend() -> Iterator[TransformersBackend]:
    created = _backend("true")
    yield created
    created.close()


def _requests() -> list:
    return [parse_request({"instruction": q, "system_msg": SYSTEM, "max_length": "16"}) for q in QUESTIONS]


def test_the_common_prefix_leaves_each_row_a_token_of_its_own() -> None:
    assert common_prefix_length([[1, 2, 3, 4], [1, 2, 3, 5], [1, 2, 3]]) == 2
    assert common_prefix_length([[7, 8], [9]]) == 0
    assert common_prefix_length([]) == 0


def test_shared_prefix_answers_equal_the_plain_path(backend: TransformersBackend) -> None:
    requests = _requests()
    rows = [backend.encode(i, r).ids for i, r in enumerate(requests)]
    batch = prefixed_batch(backend.model, backend.tokenizer, rows, backend.device)
    assert batch is not None and batch.shared >= MIN_SHARED_TOKENS
    shared = backend.generate(requests)
    assert all(r["metadata"]["shared_prefix_tokens"] >= MIN_SHARED_TOKENS for r in shared)
    plain = [backend.generate([r])[0] for r in requests]  # one row each: no prefix to share
    assert all(r["metadata"]["shared_prefix_tokens"] == 0 for r in plain)
    assert [r["output"] for r in shared] == [r["output"] for r in plain]
    assert "Paris" in shared[0]["output"] and "Tokyo" in shared[1]["output"]


def test_rows_without_a_common_prefix_take_the_plain_path(backend: TransformersBackend) -> None:
    requests = [parse_request({"instruction": q, "max_length": "8"}) for q in QUESTIONS[:2]]
    requests.append(parse_request({"instruction": "Hi", "system_msg": "Be brief.", "max_length": "8"}))
    rows = [backend.encode(i, r).ids for i, r in enumerate(requests)]
    assert prefixed_batch(backend.model, backend.tokenizer, rows, backend.device) is None


def test_a_batch_mixing_two_long_prefixes_shares_each_in_its_group(backend: TransformersBackend) -> None:
    other = "You are a history teacher. Answer with the city name and the year it became the capital. " * 6
    requests = [
        parse_request({"instruction": q, "system_msg": system, "max_length": "16"})
        for q in QUESTIONS
        for system in (SYSTEM, other)
    ]
    mixed = backend.generate(requests)  # one batch of 8: two groups of 4, each with its own prefix
    assert [r["metadata"]["batch_size"] for r in mixed] == [4] * 8
    assert all(r["metadata"]["shared_prefix_tokens"] > 100 for r in mixed)
    alone = [backend.generate([r])[0] for r in requests]
    assert [r["output"] for r in mixed] == [r["output"] for r in alone]
    assert [r["input"]["instruction"] for r in mixed] == [r.instruction for r in requests]
