"""Usage accounting and limits of the LLM functions.

Every pool call a SQL function makes is recorded in one named, detached Ray actor (the ledger):
owner, job, the deployed function (``model``), requests, input and output tokens (the backend's own
tokenizer counts, from each response's ``metadata``), cache hits and latency. ``load _mlsql_.`llm_usage```
shows it, one row per owner, job and model.

Limits (``!byzerllm setup "queryTokenLimit=..."`` and ``queryRequestLimit``, ``ownerTokenLimit``,
``ownerRequestLimit``) are checked before each batch is sent: a batch is refused when the requests
so far plus the batch's, or the tokens so far plus the batch's ``max_length`` budget, would pass a
limit, so a query stops with ``LLMLimitReached`` before it overspends.

A UDF's requests go to the pool in chunks, and each chunk is recorded as it comes back, also under
the Spark job group of the query that made it: that is the progress ``/runningjobs`` and ``byzer
run`` show (requests done, output tokens, the time since the first chunk was sent;
``runtime.progress``). Enough chunks are in flight to fill the pool's
model batches and have the next chunk waiting (``in_flight_limit``): the chunks sent together reach
the master in one batching window and are computed as one batch, so chunking costs no batch size.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import asdict, dataclass
from itertools import pairwise
from typing import Any

from byzer_engine.llm.requests import LLMRequest

LEDGER_NAME = "byzer_llm_usage"
COLUMNS = (
    "owner",
    "job",
    "model",
    "requests",
    "input_tokens",
    "output_tokens",
    "cache_hits",
    "latency_ms",
)
LIMIT_KEYS = ("queryTokenLimit", "queryRequestLimit", "ownerTokenLimit", "ownerRequestLimit")
# A call's requests go to the pool in chunks of about a tenth of them, within these bounds.
CHUNK_MIN, CHUNK_MAX, CHUNKS_PER_CALL = 32, 256, 10
# Chunks sent before the first of them is waited for, at least (more when the pool's batches are larger).
CHUNKS_IN_FLIGHT = 2
# A job group's activity is forgotten this long after its last chunk (the ledger stays small).
ACTIVITY_KEEP_S = 6 * 3600.0


class LLMLimitReached(RuntimeError):
    """A batch would pass a usage limit; the query stops."""


@dataclass(frozen=True)
class Usage:
    owner: str
    job: str
    model: str
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_hits: int = 0
    latency_ms: float = 0.0


@dataclass(frozen=True)
class Limits:
    query_tokens: int | None = None
    query_requests: int | None = None
    owner_tokens: int | None = None
    owner_requests: int | None = None

    @staticmethod
    def from_settings(settings: dict[str, str]) -> Limits:
        def value(key: str) -> int | None:
            text = settings.get(key)
            return int(text) if text else None

        return Limits(*(value(k) for k in LIMIT_KEYS))

    @property
    def any(self) -> bool:
        return any(v is not None for v in asdict(self).values())


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def usage_of(owner: str, job: str, model: str, responses: list[dict[str, Any]], latency_ms: float) -> Usage:
    """One call's usage from its responses' metadata; an answer from the result cache counts as a
    request and a cache hit, its tokens as none (no model spent them)."""
    metas = [r.get("metadata") or {} for r in responses]
    spent = [m for m in metas if m.get("cache_hit") is not True]
    return Usage(
        owner=owner,
        job=job,
        model=model,
        requests=len(responses),
        input_tokens=sum(_int(m.get("input_tokens")) for m in spent),
        output_tokens=sum(_int(m.get("output_tokens")) for m in spent),
        cache_hits=len(metas) - len(spent),
        latency_ms=round(latency_ms, 3),
    )


@dataclass(frozen=True)
class Chunk:
    """When one chunk of a call was sent and answered (epoch seconds), and the Spark job group of the
    query that sent it ("" outside a script's job)."""

    group: str
    started: float
    finished: float


class UsageLedger:
    """The Ray actor's body: totals per (owner, job, model), and activity per Spark job group."""

    def __init__(self) -> None:
        self.totals: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.groups: dict[str, dict[str, float]] = {}

    def record(self, usage: Usage, chunk: Chunk | None = None) -> None:
        key = (usage.owner, usage.job, usage.model)
        row = self.totals.setdefault(key, {c: 0 for c in COLUMNS[3:]})
        for column in COLUMNS[3:]:
            row[column] += getattr(usage, column)
        if chunk is not None and chunk.group:
            self._record_activity(usage, chunk)

    def _record_activity(self, usage: Usage, chunk: Chunk) -> None:
        seen = self.groups.get(chunk.group)
        if seen is None:
            self._forget_old(chunk.finished)
            seen = self.groups[chunk.group] = {
                "requests": 0,
                "output_tokens": 0,
                "chunks": 0,
                "first_started": chunk.started,
                "last_finished": chunk.finished,
            }
        seen["requests"] += usage.requests
        seen["output_tokens"] += usage.output_tokens
        seen["chunks"] += 1
        seen["first_started"] = min(seen["first_started"], chunk.started)
        seen["last_finished"] = max(seen["last_finished"], chunk.finished)

    def _forget_old(self, now: float) -> None:
        for group in [g for g, v in self.groups.items() if now - v["last_finished"] > ACTIVITY_KEEP_S]:
            del self.groups[group]

    def activity(self, groups: list[str]) -> dict[str, dict[str, float]]:
        """Requests done, output tokens, chunks, first chunk sent and last answered, per job group."""
        return {g: dict(self.groups[g]) for g in groups if g in self.groups}

    def rows(self, owners: list[str] | None = None) -> list[dict[str, Any]]:
        return [
            {"owner": o, "job": j, "model": m, **values}
            for (o, j, m), values in sorted(self.totals.items())
            if owners is None or o in owners
        ]

    def spent(self, owner: str, job: str) -> dict[str, int]:
        query = [v for (o, j, _), v in self.totals.items() if o == owner and j == job]
        mine = [v for (o, _, _), v in self.totals.items() if o == owner]
        return {
            "query_tokens": sum(v["input_tokens"] + v["output_tokens"] for v in query),
            "query_requests": sum(v["requests"] for v in query),
            "owner_tokens": sum(v["input_tokens"] + v["output_tokens"] for v in mine),
            "owner_requests": sum(v["requests"] for v in mine),
        }


def check_limits(limits: Limits, spent: dict[str, int], batch: list[LLMRequest], model: str) -> None:
    """Raises LLMLimitReached when sending ``batch`` could pass a limit."""
    budget = sum(r.sampling.max_new_tokens for r in batch)
    for scope, limit_tokens, limit_requests in (
        ("query", limits.query_tokens, limits.query_requests),
        ("owner", limits.owner_tokens, limits.owner_requests),
    ):
        requests, tokens = spent[f"{scope}_requests"], spent[f"{scope}_tokens"]
        if limit_requests is not None and requests + len(batch) > limit_requests:
            raise LLMLimitReached(
                f"LLM usage limit reached: {scope}RequestLimit={limit_requests}, {requests} requests used, "
                f"the next batch of '{model}' has {len(batch)}"
            )
        if limit_tokens is not None and tokens + budget > limit_tokens:
            raise LLMLimitReached(
                f"LLM usage limit reached: {scope}TokenLimit={limit_tokens}, {tokens} tokens used, "
                f"the next batch of '{model}' may use up to {budget} more"
            )


def _ledger() -> Any:
    import ray

    from byzer_engine.runtime.ray_connect import NAMESPACE

    actor = ray.remote(num_cpus=0)(UsageLedger)
    return actor.options(  # type: ignore[attr-defined]
        name=LEDGER_NAME, namespace=NAMESPACE, lifetime="detached", get_if_exists=True
    ).remote()


def record(usage: Usage, chunk: Chunk | None = None) -> None:
    import ray

    ray.get(_ledger().record.remote(usage, chunk))


def activity(groups: list[str], timeout_s: float = 5.0) -> dict[str, dict[str, float]]:
    """The ledger's activity of these Spark job groups ({} when no Ray is connected)."""
    import ray

    if not ray.is_initialized() or not groups:
        return {}
    found: dict[str, dict[str, float]] = ray.get(_ledger().activity.remote(groups), timeout=timeout_s)
    return found


def spent(owner: str, job: str) -> dict[str, int]:
    import ray

    result: dict[str, int] = ray.get(_ledger().spent.remote(owner, job))
    return result


def usage_rows(owners: list[str] | None = None) -> list[dict[str, Any]]:
    """The ledger's rows (of ``owners`` only, when given); [] when no Ray is connected."""
    import ray

    if not ray.is_initialized():
        return []
    rows: list[dict[str, Any]] = ray.get(_ledger().rows.remote(owners))
    return rows


def chunk_size(count: int) -> int:
    return max(CHUNK_MIN, min(CHUNK_MAX, -(-count // CHUNKS_PER_CALL)))


def chunks_of(requests: list[LLMRequest], size: int) -> list[list[LLMRequest]]:
    """``requests`` in chunks of ``size``; a shorter remainder joins the last chunk, so that it is not
    computed as a small batch of its own."""
    starts = list(range(0, len(requests), size))
    if len(starts) > 1 and len(requests) - starts[-1] < size:
        starts.pop()
    bounds = [*starts, len(requests)]
    return [requests[a:b] for a, b in pairwise(bounds)]


def in_flight_limit(size: int, capacity: int) -> int:
    """Requests a call has in flight before it waits for its first chunk: the pool's ``capacity`` (the
    requests its workers compute in one pass together) and one chunk more, so the workers never wait
    for the next; at least ``CHUNKS_IN_FLIGHT`` chunks."""
    return max(CHUNKS_IN_FLIGHT * size, capacity + size)


def metered_call(
    name: str,
    requests: list[LLMRequest],
    *,
    owner: str,
    job: str,
    limits: Limits,
    timeout_s: float | None,
    group: str = "",
    capacity: int = 0,
) -> list[dict[str, Any]]:
    """The pool's responses to ``requests``, sent in chunks: each chunk is checked against the limits
    (with the chunks still in flight) before it is sent and recorded in the ledger when it is back.
    ``capacity``: the requests the pool's workers compute in one pass together (0: not known)."""
    from byzer_engine.llm.pool.client import submit, wait

    size = chunk_size(len(requests))
    limit = in_flight_limit(size, capacity)
    in_flight: deque[tuple[list[LLMRequest], Any, float]] = deque()
    responses: list[dict[str, Any]] = []
    previous_finished = 0.0

    def collect() -> None:
        nonlocal previous_finished
        _, handle, started = in_flight.popleft()
        answered = wait(name, handle, timeout_s=timeout_s)
        finished = time.time()
        # A chunk's latency starts when the one before it was answered, so the latencies of a
        # call's chunks add up to the call's time, not more.
        latency_ms = (finished - max(started, previous_finished)) * 1000
        previous_finished = finished
        record(usage_of(owner, job, name, answered, latency_ms), Chunk(group, started, finished))
        responses.extend(answered)

    for batch in chunks_of(requests, size):
        if limits.any:
            pending = [r for sent, _, _ in in_flight for r in sent]
            check_limits(limits, spent(owner, job), pending + batch, name)
        in_flight.append((batch, submit(name, batch), time.time()))
        if sum(len(sent) for sent, _, _ in in_flight) >= limit:
            collect()
    while in_flight:
        collect()
    return responses


class UsageTable:
    """``load _mlsql_.`llm_usage```: the ledger's rows (an entry point of ``byzer_engine.mlsql_tables``)."""

    columns = COLUMNS

    @staticmethod
    def rows(owners: list[str] | None) -> list[dict[str, Any]]:
        return usage_rows(owners)


TABLE = UsageTable()
