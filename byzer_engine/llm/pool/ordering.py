"""Prefix-aware ordering of a batching window's distinct requests, and parts cut along prefix groups.

Requests are sorted by the text their chat template renders from (system message, history, then the
instruction, in that order), with the generation settings first since one ``generate`` call takes
one set. A lexicographic sort puts every set of prompts sharing a prefix next to each other, so the
parts sent to workers (and the batches inside a worker) start with the same tokens and reuse one
prefix KV (``backends.shared_prefix``). This is the simple form of the GGR greedy of Liu et al.
(MLSys 2025): GGR reorders *fields* of each row to lengthen shared prefixes, but an LLM request here
is already one rendered prompt whose field order the user chose, so only the row order is free, and
for the row order alone sorting is what maximises adjacent shared prefixes. Answers never depend on
the order: the master restores the original positions with the permutation returned here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from byzer_engine.llm.pool.balance import split_evenly
from byzer_engine.llm.requests import LLMRequest

# Neighbours sharing at least this many characters of prompt belong to one prefix group.
MIN_GROUP_PREFIX_CHARS = 64


def sort_key(request: LLMRequest) -> tuple[str, str]:
    parts = [request.system_msg or ""]
    parts.extend(f"{m.role}\x1f{m.content}" for m in request.history)
    parts.append(request.instruction)
    return (repr(request.sampling), "\x1e".join(parts))


def prefix_order(requests: Sequence[LLMRequest]) -> list[int]:
    """The permutation: ``[requests[i] for i in prefix_order(requests)]`` has shared prefixes adjacent."""
    return sorted(range(len(requests)), key=lambda i: sort_key(requests[i]))


def restore(ordered: Sequence[object], permutation: Sequence[int]) -> list[object]:
    """Items computed in ``permutation`` order put back at their original positions."""
    out: list[object] = [None] * len(ordered)
    for item, original in zip(ordered, permutation, strict=True):
        out[original] = item
    return out


def _shared_chars(a: str, b: str) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def prefix_groups(keys: Sequence[tuple[str, str]], min_chars: int = MIN_GROUP_PREFIX_CHARS) -> list[int]:
    """Start indexes of the runs of sorted keys whose neighbours share ``min_chars`` of prompt."""
    starts = [0] if keys else []
    for i in range(1, len(keys)):
        same_settings = keys[i][0] == keys[i - 1][0]
        if not same_settings or _shared_chars(keys[i][1], keys[i - 1][1]) < min_chars:
            starts.append(i)
    return starts


def split_on_groups(group_starts: Sequence[int], count: int, parts: int) -> list[tuple[int, int]]:
    """About ``parts`` contiguous ranges over ``range(count)``, cut at group starts where possible.

    Each range aims at ``count / parts`` items; a cut falls on the group start nearest that target
    (a group larger than a part is cut inside, since a worker left idle costs more than one more
    prefix computed).
    """
    parts = max(1, min(parts, count))
    if count == 0:
        return []
    target = count / parts
    boundaries = set(group_starts) | {count}
    cuts, start = [], 0
    for k in range(1, parts):
        ideal = round(k * target)
        if ideal <= start:
            continue
        near = [b for b in boundaries if start < b < count and abs(b - ideal) <= target / 2]
        cut = min(near, key=lambda b: (abs(b - ideal), b)) if near else ideal
        cuts.append((start, cut))
        start = cut
    cuts.append((start, count))
    return cuts


@dataclass(frozen=True)
class Plan:
    """The requests in computing order, their original positions, and the parts to send."""

    ordered: list[LLMRequest]
    permutation: list[int]
    parts: list[tuple[int, int]] = field(default_factory=list)


def plan(requests: Sequence[LLMRequest], parts: int, enabled: bool) -> Plan:
    """Prefix-ordered parts (``enabled``), or the requests as they came in even parts."""
    if not enabled or len(requests) < 2:
        return Plan(list(requests), list(range(len(requests))), split_evenly(len(requests), parts))
    permutation = prefix_order(requests)
    ordered = [requests[i] for i in permutation]
    starts = prefix_groups([sort_key(r) for r in ordered])
    return Plan(ordered, permutation, split_on_groups(starts, len(ordered), parts))
