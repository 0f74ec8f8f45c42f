"""Usage accounting without Ray: a call's usage from its responses, the ledger, the limit checks."""

from __future__ import annotations

import pytest

from byzer_engine.llm.requests import parse_request
from byzer_engine.llm.usage import Limits, LLMLimitReached, Usage, UsageLedger, check_limits, usage_of


def test_a_calls_usage_is_the_sum_of_its_responses() -> None:
    responses = [
        {"output": "a", "metadata": {"input_tokens": 10, "output_tokens": 3}},
        {"output": "b", "metadata": {"input_tokens": 7, "output_tokens": 2, "cache_hit": True}},
        {"error": "too long", "metadata": {}},
    ]
    # The cached answer is a request and a hit; its tokens were not spent.
    assert usage_of("ann", "j1", "chat", responses, 12.5) == Usage("ann", "j1", "chat", 3, 10, 3, 1, 12.5)


def test_the_ledger_totals_by_owner_job_and_model() -> None:
    ledger = UsageLedger()
    ledger.record(Usage("ann", "j1", "chat", 2, 10, 4, 0, 5.0))
    ledger.record(Usage("ann", "j1", "chat", 1, 5, 1, 1, 2.0))
    ledger.record(Usage("ann", "j2", "chat", 1, 3, 3, 0, 1.0))
    ledger.record(Usage("bob", "j3", "chat", 4, 40, 8, 0, 9.0))
    assert ledger.rows(["ann"]) == [
        {"owner": "ann", "job": "j1", "model": "chat", "requests": 3, "input_tokens": 15,
         "output_tokens": 5, "cache_hits": 1, "latency_ms": 7.0},
        {"owner": "ann", "job": "j2", "model": "chat", "requests": 1, "input_tokens": 3,
         "output_tokens": 3, "cache_hits": 0, "latency_ms": 1.0},
    ]  # fmt: skip
    assert len(ledger.rows()) == 3
    assert ledger.spent("ann", "j1") == {
        "query_tokens": 20, "query_requests": 3, "owner_tokens": 26, "owner_requests": 4,
    }  # fmt: skip


def test_a_batch_that_would_pass_a_limit_is_refused() -> None:
    batch = [parse_request({"instruction": "x", "max_length": "10"}) for _ in range(3)]
    spent = {"query_tokens": 50, "query_requests": 2, "owner_tokens": 500, "owner_requests": 20}
    check_limits(Limits(query_requests=5, query_tokens=80), spent, batch, "chat")
    with pytest.raises(LLMLimitReached, match="queryRequestLimit=4, 2 requests used"):
        check_limits(Limits(query_requests=4), spent, batch, "chat")
    with pytest.raises(LLMLimitReached, match="queryTokenLimit=79"):
        check_limits(Limits(query_tokens=79), spent, batch, "chat")
    with pytest.raises(LLMLimitReached, match="ownerTokenLimit=510"):
        check_limits(Limits(owner_tokens=510), spent, batch, "chat")


def test_limits_come_from_the_settings() -> None:
    limits = Limits.from_settings({"queryTokenLimit": "100", "ownerRequestLimit": "7"})
    assert limits == Limits(query_tokens=100, owner_requests=7) and limits.any
    assert not Limits().any


def test_the_cli_summary_line_sums_a_runs_rows() -> None:
    from byzer_engine.cli.run import usage_line

    rows = [
        {
            "model": "chat",
            "requests": 3,
            "input_tokens": 40,
            "output_tokens": 9,
            "cache_hits": 1,
            "latency_ms": 1500.0,
        },
        {
            "model": "emb",
            "requests": 2,
            "input_tokens": 10,
            "output_tokens": 0,
            "cache_hits": 0,
            "latency_ms": 500.0,
        },
    ]
    assert usage_line(rows) == (
        "LLM usage (chat, emb): 5 requests, 50 input tokens, 9 output tokens, 1 cache hits, 2.0 s in model calls"
    )
    assert usage_line([]) is None


def test_a_calls_chunks_are_a_tenth_of_it_within_bounds() -> None:
    from byzer_engine.llm.usage import CHUNK_MAX, CHUNK_MIN, chunk_size

    assert chunk_size(1) == CHUNK_MIN and chunk_size(40) == CHUNK_MIN
    assert chunk_size(1000) == 100
    assert chunk_size(100_000) == CHUNK_MAX


def test_a_calls_chunks_leave_no_small_remainder() -> None:
    from byzer_engine.llm.usage import chunks_of

    requests = [parse_request({"instruction": f"q{i}"}) for i in range(100)]
    assert [len(c) for c in chunks_of(requests, 32)] == [32, 32, 36]
    assert [r for c in chunks_of(requests, 32) for r in c] == requests
    assert [len(c) for c in chunks_of(requests[:64], 32)] == [32, 32]
    assert [len(c) for c in chunks_of(requests[:20], 32)] == [20]
    assert chunks_of([], 32) == []


def test_a_call_keeps_the_pools_batches_full() -> None:
    from byzer_engine.llm.usage import CHUNKS_IN_FLIGHT, in_flight_limit

    # A pool that does not say what it computes together gets two chunks in flight; a larger one
    # gets its batches' worth and the next chunk.
    assert in_flight_limit(32, 0) == CHUNKS_IN_FLIGHT * 32
    assert in_flight_limit(32, 16) == CHUNKS_IN_FLIGHT * 32
    assert in_flight_limit(32, 100) == 132


def test_the_ledger_keeps_each_job_groups_activity() -> None:
    from byzer_engine.llm.usage import ACTIVITY_KEEP_S, Chunk

    ledger = UsageLedger()
    ledger.record(Usage("ann", "j1", "chat", 32, 100, 64, 0, 5.0), Chunk("g1", 100.0, 104.0))
    ledger.record(Usage("ann", "j1", "chat", 8, 30, 16, 0, 1.0), Chunk("g1", 101.0, 105.0))
    ledger.record(Usage("ann", "j2", "chat", 5, 30, 16, 0, 1.0), Chunk("", 101.0, 105.0))
    assert ledger.activity(["g1", "g2"]) == {
        "g1": {
            "requests": 40,
            "output_tokens": 80,
            "chunks": 2,
            "first_started": 100.0,
            "last_finished": 105.0,
        }
    }
    # A group idle for longer than the ledger keeps activity is forgotten when a new one starts.
    later = 105.0 + ACTIVITY_KEEP_S + 1
    ledger.record(Usage("ann", "j3", "chat", 1, 3, 1, 0, 1.0), Chunk("g3", later - 1, later))
    assert set(ledger.activity(["g1", "g3"])) == {"g3"}
