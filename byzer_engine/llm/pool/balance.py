"""Load-balancing policies: which live worker gets the next part of a batch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

POLICIES = ("lru", "round_robin")


@dataclass
class WorkerLoad:
    """What a policy may look at for one worker."""

    index: int
    in_flight: int
    last_used: float


class Policy(Protocol):
    def pick(self, candidates: list[WorkerLoad]) -> WorkerLoad: ...


class LeastRecentlyUsed:
    """The least busy worker; among equally busy ones, the one idle longest."""

    def pick(self, candidates: list[WorkerLoad]) -> WorkerLoad:
        return min(candidates, key=lambda w: (w.in_flight, w.last_used, w.index))


class RoundRobin:
    """Each worker in turn, whatever its load."""

    def __init__(self) -> None:
        self._last = -1

    def pick(self, candidates: list[WorkerLoad]) -> WorkerLoad:
        ordered = sorted(candidates, key=lambda w: w.index)
        chosen = next((w for w in ordered if w.index > self._last), ordered[0])
        self._last = chosen.index
        return chosen


def make_policy(name: str) -> Policy:
    if name == "round_robin":
        return RoundRobin()
    if name == "lru":
        return LeastRecentlyUsed()
    raise ValueError(f"unknown load_balance '{name}'; allowed: {', '.join(POLICIES)}")


def split_evenly(count: int, parts: int) -> list[tuple[int, int]]:
    """``parts`` contiguous ``(start, end)`` ranges covering ``range(count)``, sizes differing by <= 1."""
    parts = max(1, min(parts, count))
    size, extra = divmod(count, parts)
    ranges, start = [], 0
    for i in range(parts):
        end = start + size + (1 if i < extra else 0)
        ranges.append((start, end))
        start = end
    return ranges
