"""Load-balancing policies and batch splitting."""

from __future__ import annotations

import pytest

from byzer_engine.llm.pool.balance import LeastRecentlyUsed, RoundRobin, WorkerLoad, make_policy, split_evenly


def test_lru_prefers_the_least_busy_then_the_longest_idle() -> None:
    policy = LeastRecentlyUsed()
    workers = [WorkerLoad(0, in_flight=1, last_used=1.0), WorkerLoad(1, 0, 5.0), WorkerLoad(2, 0, 3.0)]
    assert policy.pick(workers).index == 2
    workers[2].in_flight = 1
    assert policy.pick(workers).index == 1


def test_round_robin_cycles_whatever_the_load() -> None:
    policy = RoundRobin()
    workers = [WorkerLoad(i, in_flight=i, last_used=0.0) for i in range(3)]
    assert [policy.pick(workers).index for _ in range(5)] == [0, 1, 2, 0, 1]


def test_round_robin_skips_a_missing_worker() -> None:
    policy = RoundRobin()
    assert policy.pick([WorkerLoad(0, 0, 0.0), WorkerLoad(2, 0, 0.0)]).index == 0
    assert policy.pick([WorkerLoad(0, 0, 0.0), WorkerLoad(2, 0, 0.0)]).index == 2
    assert policy.pick([WorkerLoad(0, 0, 0.0), WorkerLoad(2, 0, 0.0)]).index == 0


def test_unknown_policy_names_the_allowed_ones() -> None:
    with pytest.raises(ValueError, match="lru, round_robin"):
        make_policy("random")


@pytest.mark.parametrize(("count", "parts"), [(10, 3), (2, 5), (1, 1), (7, 7), (0, 2)])
def test_split_evenly_covers_everything_in_order(count: int, parts: int) -> None:
    ranges = split_evenly(count, parts)
    covered = [i for start, end in ranges for i in range(start, end)]
    assert covered == list(range(count))
    sizes = [end - start for start, end in ranges]
    assert max(sizes) - min(sizes) <= 1
    assert len(ranges) <= max(1, parts)
