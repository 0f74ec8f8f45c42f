"""The master actor of one pool: the named, detached Ray actor a SQL function's UDF talks to.

A batch arrives whole (one call per Arrow batch); the batches arriving within a short batching window
(``batchWindowMs``) are gathered; identical requests among them are computed once (and once across
windows: a request another window is computing waits for that answer, and a finished greedy one is
found in the result cache); the distinct ones are split into parts, one per free worker slot, each routed by the load-balancing policy. When a
worker dies, its parts go to another worker (or wait for the replacement, which the master starts at
once), so a query still gets an answer for every row.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import ray
from ray.exceptions import RayActorError, RayTaskError

from byzer_engine.llm.pool.balance import WorkerLoad, make_policy
from byzer_engine.llm.pool.cache import ResultCache
from byzer_engine.llm.pool.ordering import plan, restore
from byzer_engine.llm.pool.spec import PoolSpec
from byzer_engine.llm.pool.worker import ModelWorker
from byzer_engine.llm.requests import LLMRequest, error_response

# How long a part waits for a live worker (a replacement loading its model) before it gives up.
WAIT_FOR_WORKER_S = 600.0
REPLACE_ATTEMPTS = 3


@dataclass
class _Slot:
    """One worker position in the pool; its actor changes when a dead one is replaced."""

    index: int
    handle: Any = None
    alive: bool = False
    incarnation: int = 0
    in_flight: int = 0
    parts: int = 0
    requests: int = 0
    restarts: int = 0
    last_used: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)
    failure: str | None = None


def _cause(exc: BaseException) -> str:
    if isinstance(exc, RayTaskError) and exc.cause is not None:
        return str(exc.cause)
    return str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__


@dataclass
class _Window:
    """The requests of the batches that arrived within one batching window, computed together."""

    result: asyncio.Future[list[dict[str, Any]]]
    requests: list[LLMRequest] = field(default_factory=list)
    waiting: int = 0
    task: asyncio.Task[None] | None = None


class PoolMaster:
    def __init__(self, spec: PoolSpec) -> None:
        self.spec = spec
        self.fingerprint = spec.fingerprint()
        self.slots = [_Slot(index=i) for i in range(spec.workers)]
        self.policy = make_policy(spec.load_balance)
        self.changed = asyncio.Condition()
        self.started_at = time.time()
        self.requests_served = 0
        self.distinct_computed = 0
        self.batches = 0
        self.windows = 0  # batching windows computed: fewer than batches when batches were gathered
        self.errors = 0
        self.retries = 0
        self.cache_hits = 0
        # Measured throughput, for EXPLAIN's time estimates: wall seconds of the windows that computed
        # something, and the requests they computed.
        self.compute_seconds = 0.0
        self.timed_requests = 0
        self.cache = (
            ResultCache(spec.cache_folder, spec.cache_identity, spec.cache_max_bytes)
            if spec.cache_folder and spec.cache_identity
            else None
        )
        self._replacing: set[int] = set()
        self._window: _Window | None = None
        # Requests being computed now, by key: an identical one in another window waits for it.
        self._in_flight: dict[str, asyncio.Future[dict[str, Any]]] = {}
        # Ray restarts a master that died (its workers died with it): the restarted one loads its
        # workers again when the first request (or description) arrives, and says it was restarted.
        self.master_restarted = _was_restarted()

    # -- life cycle --------------------------------------------------------------------------------
    def _new_worker(self, index: int) -> Any:
        b = self.spec.backend
        actor_class = ray.remote(ModelWorker)
        return actor_class.options(
            num_cpus=b.num_cpus,
            num_gpus=b.num_gpus,
            max_concurrency=self.spec.worker_max_concurrency,
            resources=dict(self.spec.resources) or None,
            max_restarts=0,
        ).remote(b, index)

    async def start(self) -> dict[str, Any]:
        """Start every worker and wait for its model; any failure fails the deploy with its cause."""
        handles = [self._new_worker(slot.index) for slot in self.slots]
        results = await asyncio.gather(*(h.load.remote() for h in handles), return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            for handle in handles:
                ray.kill(handle)
            raise RuntimeError(_cause(failures[0]))
        for slot, handle, info in zip(self.slots, handles, results, strict=True):
            slot.handle, slot.alive, slot.info = handle, True, dict(info)  # type: ignore[arg-type]
        return self.describe_now()

    async def shutdown(self) -> None:
        for slot in self.slots:
            if slot.handle is not None:
                ray.kill(slot.handle)
            slot.alive = False

    async def ping(self) -> str:
        return self.fingerprint

    # -- routing -----------------------------------------------------------------------------------
    def _restore_after_restart(self) -> None:
        """A restarted master has no workers yet: each slot gets one, as if its worker had died."""
        if not self.master_restarted:
            return
        for slot in self.slots:
            if slot.handle is None and not slot.failure and slot.index not in self._replacing:
                self._replacing.add(slot.index)
                asyncio.get_running_loop().create_task(self._replace(slot))

    async def _acquire(self) -> _Slot:
        deadline = time.monotonic() + WAIT_FOR_WORKER_S
        self._restore_after_restart()
        async with self.changed:
            while True:
                live = [s for s in self.slots if s.alive]
                if live:
                    loads = [WorkerLoad(s.index, s.in_flight, s.last_used) for s in live]
                    chosen = self.slots[self.policy.pick(loads).index]
                    chosen.in_flight += 1
                    chosen.last_used = time.monotonic()
                    return chosen
                if all(s.failure for s in self.slots):
                    raise RuntimeError(f"no worker could be started: {self.slots[0].failure}")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise RuntimeError("no live worker in the pool")
                try:
                    await asyncio.wait_for(self.changed.wait(), timeout=remaining)
                except TimeoutError:
                    raise RuntimeError("no live worker in the pool") from None

    async def _release(self, slot: _Slot) -> None:
        async with self.changed:
            slot.in_flight -= 1
            self.changed.notify_all()

    def _worker_died(self, slot: _Slot, incarnation: int) -> None:
        if slot.incarnation != incarnation or not slot.alive:
            return  # already noticed, and a replacement is on its way
        slot.alive = False
        if slot.index not in self._replacing:
            self._replacing.add(slot.index)
            asyncio.get_running_loop().create_task(self._replace(slot))

    async def _replace(self, slot: _Slot) -> None:
        last_error = ""
        try:
            for attempt in range(REPLACE_ATTEMPTS):
                handle = self._new_worker(slot.index)
                try:
                    info = await handle.load.remote()
                except Exception as exc:
                    last_error = _cause(exc)
                    ray.kill(handle)
                    await asyncio.sleep(2.0 * (attempt + 1))
                    continue
                async with self.changed:
                    slot.handle, slot.info, slot.failure = handle, dict(info), None
                    slot.incarnation += 1
                    slot.restarts += 1
                    slot.alive = True
                    self.changed.notify_all()
                return
            async with self.changed:
                slot.failure = last_error or "replacement failed"
                self.changed.notify_all()
        finally:
            self._replacing.discard(slot.index)

    async def _dispatch(self, part: list[LLMRequest]) -> list[dict[str, Any]]:
        last_error = ""
        for _attempt in range(self.spec.max_retries + 1):
            try:
                slot = await self._acquire()
            except RuntimeError as exc:
                return [error_response(r.raw, str(exc)) for r in part]
            incarnation = slot.incarnation
            try:
                responses: list[dict[str, Any]] = await slot.handle.generate.remote(part)
                slot.parts += 1
                slot.requests += len(part)
                return responses
            except RayActorError as exc:
                last_error = _cause(exc)
                self.retries += 1
                self._worker_died(slot, incarnation)
            except RayTaskError as exc:
                return [error_response(r.raw, f"worker failed: {_cause(exc)}") for r in part]
            finally:
                await self._release(slot)
        return [
            error_response(r.raw, f"worker died {self.spec.max_retries + 1} times: {last_error}")
            for r in part
        ]

    async def generate(self, batch: list[LLMRequest]) -> list[dict[str, Any]]:
        """One response per request of ``batch`` (parsed and checked where they entered), in order.

        The batches that arrive within one batching window (the Arrow batches of a query's Spark tasks
        arrive together) are computed together: identical requests across them are computed once, and
        the workers get full model batches instead of each task's remainder.
        """
        self.requests_served += len(batch)
        self.batches += 1
        if not batch:
            return []
        window = self._open_window()
        start = len(window.requests)
        window.requests.extend(batch)
        window.waiting += 1
        try:
            computed = await asyncio.shield(window.result)
        except asyncio.CancelledError:
            # A cancelled query (a killed job) stops its requests, unless another batch shares them.
            window.waiting -= 1
            if window.waiting == 0 and window.task is not None:
                if self._window is window:
                    self._window = None
                window.task.cancel()
            raise
        return computed[start : start + len(batch)]

    def _open_window(self) -> _Window:
        if self._window is None:
            loop = asyncio.get_running_loop()
            window = _Window(result=loop.create_future())
            self._window = window
            window.task = loop.create_task(self._run_window(window))
        return self._window

    async def _run_window(self, window: _Window) -> None:
        try:
            try:
                await asyncio.sleep(self.spec.batch_window_s)
            finally:
                if self._window is window:
                    self._window = None  # later batches open the next window
            self.windows += 1
            computed = await self._compute(window.requests)
        except asyncio.CancelledError:
            if not window.result.done():
                window.result.cancel()
            raise
        except Exception as exc:
            if not window.result.done():
                window.result.set_exception(exc)
            return
        if not window.result.done():
            window.result.set_result(computed)

    async def _compute(self, requests: list[LLMRequest]) -> list[dict[str, Any]]:
        """Identical requests computed once; cached answers taken from the cache; a request that
        another window is computing right now waits for that answer; the rest split over the free
        worker slots."""
        position: dict[str, int] = {}
        distinct: list[LLMRequest] = []
        order: list[int] = []
        for request in requests:
            key = request.key
            if key not in position:
                position[key] = len(distinct)
                distinct.append(request)
            order.append(position[key])
        cached = self.cache.lookup(distinct) if self.cache is not None else {}
        self.cache_hits += len(cached)
        mine: list[int] = []
        elsewhere: dict[int, asyncio.Future[dict[str, Any]]] = {}
        loop = asyncio.get_running_loop()
        for i, request in enumerate(distinct):
            if i in cached:
                continue
            running = self._in_flight.get(request.key)
            if running is not None:
                elsewhere[i] = running
            else:
                self._in_flight[request.key] = loop.create_future()
                mine.append(i)
        answers: dict[int, dict[str, Any]] = dict(cached)
        try:
            answers.update(zip(mine, await self._compute_fresh([distinct[i] for i in mine]), strict=True))
        finally:
            for i in mine:
                future = self._in_flight.pop(distinct[i].key)
                if i in answers:
                    future.set_result(answers[i])
                else:
                    future.cancel()
        for i, future in elsewhere.items():
            try:
                answers[i] = await asyncio.shield(future)
            except asyncio.CancelledError:
                if not future.cancelled() or (task := asyncio.current_task()) is None or task.cancelling():
                    raise
                # The window computing it was cancelled (its query was killed): compute it here.
                (answers[i],) = await self._compute_fresh([distinct[i]])
        return [answers[i] for i in order]

    async def _compute_fresh(self, todo: list[LLMRequest]) -> list[dict[str, Any]]:
        """``todo`` computed by the workers (one part per free slot), counted, timed and cached."""
        if not todo:
            return []
        self.distinct_computed += len(todo)
        slots_free = sum(1 for s in self.slots if s.alive or s.index in self._replacing)
        # Prefix-aware order (see ``pool.ordering``); answers go back to their original positions.
        work = plan(todo, max(1, slots_free) * self.spec.worker_max_concurrency, self.spec.prefix_order)
        started = time.monotonic()
        answered = await asyncio.gather(*(self._dispatch(work.ordered[a:b]) for a, b in work.parts))
        self.compute_seconds += time.monotonic() - started
        self.timed_requests += len(todo)
        fresh: list[dict[str, Any]] = restore([r for part in answered for r in part], work.permutation)  # type: ignore[assignment]
        self.errors += sum(1 for r in fresh if "error" in r)
        if self.cache is not None:
            self.cache.store(list(zip(todo, fresh, strict=True)))
        return fresh

    async def stream(self, request: LLMRequest) -> AsyncIterator[str]:
        """Text deltas of one request from one worker (retried elsewhere only before the first delta)."""
        self.requests_served += 1
        self.distinct_computed += 1
        for _attempt in range(self.spec.max_retries + 1):
            slot = await self._acquire()
            incarnation, sent = slot.incarnation, False
            try:
                async for ref in slot.handle.stream.remote(request):
                    delta: str = await ref
                    sent = True
                    yield delta
                slot.requests += 1
                return
            except RayActorError:
                self._worker_died(slot, incarnation)
                if sent:
                    raise
            except RayTaskError as exc:
                raise RuntimeError(_cause(exc)) from None
            finally:
                await self._release(slot)
        raise RuntimeError("every worker serving the stream died")

    # -- explain -----------------------------------------------------------------------------------
    async def estimate(self, distinct: list[LLMRequest], token_sample: int) -> dict[str, Any]:
        """For EXPLAIN, computing nothing: how many of ``distinct`` are cached, the input tokens of up
        to ``token_sample`` of the rest (a worker's tokenizer), and the measured seconds per request."""
        cached = self.cache.cached_positions(distinct) if self.cache is not None else set()
        todo = [r for i, r in enumerate(distinct) if i not in cached]
        tokens: list[int | None] = []
        if todo and token_sample > 0:
            slot = await self._acquire()
            try:
                tokens = await slot.handle.count_tokens.remote(todo[:token_sample])
            except (RayActorError, RayTaskError):
                tokens = []
            finally:
                await self._release(slot)
        rate = self.compute_seconds / self.timed_requests if self.timed_requests else None
        return {"cached": len(cached), "tokens": tokens, "seconds_per_request": rate}

    # -- introspection -----------------------------------------------------------------------------
    def describe_now(self) -> dict[str, Any]:
        workers = [
            {
                "index": s.index,
                "alive": s.alive,
                "in_flight": s.in_flight,
                "parts": s.parts,
                "requests": s.requests,
                "restarts": s.restarts,
                "pid": s.info.get("pid"),
                "device": s.info.get("device"),
                "failure": s.failure,
            }
            for s in self.slots
        ]
        busy = sum(1 for s in self.slots if s.alive and s.in_flight > 0)
        alive = sum(1 for s in self.slots if s.alive)
        contexts = [int(s.info["context"]) for s in self.slots if s.alive and s.info.get("context")]
        batch_sizes = sum(int(s.info.get("batch_size") or 0) for s in self.slots if s.alive)
        return {
            **self.spec.summary(),
            "context": min(contexts) if contexts else None,  # the model's, in tokens
            # Requests the workers compute in one pass together (0: a backend that does not say).
            "capacity": batch_sizes * self.spec.worker_max_concurrency,
            "fingerprint": self.fingerprint,
            "master_pid": os.getpid(),
            "started_at": self.started_at,
            "requests_served": self.requests_served,
            "distinct_computed": self.distinct_computed,
            "cache_hits": self.cache_hits,
            "compute_seconds": round(self.compute_seconds, 3),
            "batches": self.batches,
            "windows": self.windows,
            "errors": self.errors,
            "retries": self.retries,
            "master_restarted": self.master_restarted,
            "alive": alive,
            "busy": busy,
            "idle": alive - busy,
            "worker_stats": workers,
        }

    async def describe(self) -> dict[str, Any]:
        self._restore_after_restart()
        return self.describe_now()

    async def worker_handles(self) -> list[Any]:
        """The live workers' actor handles (for operators and fault-injection tests)."""
        return [s.handle for s in self.slots if s.alive]


def _was_restarted() -> bool:
    """Whether Ray restarted this actor after it died (False for a new one, or outside an actor)."""
    try:
        return bool(ray.get_runtime_context().was_current_actor_reconstructed)
    except (AttributeError, RuntimeError, AssertionError):
        return False
