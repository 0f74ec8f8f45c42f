"""``llm_agg``'s reduction without a model: chunks within a budget, a tree of requests, the budget a
model's context allows."""

from __future__ import annotations

from typing import Any

from byzer_engine.llm.semantic.aggregate import (
    CHUNK_CHARS,
    MIN_CHUNK_CHARS,
    PARTIAL_TOKENS,
    chunk_budget,
    chunks,
    reduce_group,
)


def test_texts_are_packed_in_order_within_the_budget() -> None:
    texts = ["a" * 40, "b" * 40, "c" * 40, "d" * 200]
    packed = chunks(texts, budget=100)
    assert packed == [["a" * 40, "b" * 40], ["c" * 40], ["d" * 100]]  # a text longer than a chunk is cut
    assert all(sum(len(t) + 1 for t in chunk) <= 101 for chunk in packed)


def test_a_large_group_is_reduced_level_by_level() -> None:
    asked: list[list[dict[str, Any]]] = []

    def ask(requests: list[dict[str, Any]]) -> list[str | None]:
        asked.append(requests)
        return [f"part{len(asked)}.{i}" for i in range(len(requests))]

    answer = reduce_group("Sum up.", [f"note {i:03d}" for i in range(60)], ask, budget=100)
    assert answer == f"part{len(asked)}.0"
    assert [len(level) for level in asked] == [6, 1]  # 60 notes of 8 characters: 11 a chunk, then one
    assert all(r["max_length"] == PARTIAL_TOKENS and r["temperature"] == 0 for r in asked[0])
    assert "combined with others" in asked[0][0]["instruction"]
    assert "combined with others" not in asked[-1][0]["instruction"]  # the last request is the answer


def test_a_failed_request_makes_the_group_null() -> None:
    assert reduce_group("Sum up.", ["x"] * 30, lambda rs: [None] * len(rs), budget=20) is None
    assert reduce_group("Sum up.", [], lambda rs: ["never"]) is None


def test_the_chunk_fits_the_models_context() -> None:
    assert chunk_budget(None, "Sum up.") == CHUNK_CHARS
    assert chunk_budget(32768, "Sum up.") == CHUNK_CHARS
    small = chunk_budget(1024, "Sum up.")
    assert small < 1024 - PARTIAL_TOKENS
    assert chunk_budget(2048, "x" * 1000) < chunk_budget(2048, "Sum up.")
    assert chunk_budget(256, "x" * 1000) == MIN_CHUNK_CHARS
