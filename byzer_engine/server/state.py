"""What the app holds while it runs: the Engine (started in the background) and the threads it runs on.

Engine calls block (Spark jobs, model calls), so they never run on the event loop: scripts go to a
pool of worker threads, so scripts of different owners run side by side; short control calls
(running jobs, kill, logout, analyze) get a pool of their own, so a kill is never queued behind the
scripts it is meant to stop. Health checks touch neither pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import sys
import threading
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from byzer_engine.runtime import Engine, EngineConfig
from byzer_engine.server.errors import EngineFault

log = logging.getLogger("byzer_engine.server")

T = TypeVar("T")


@dataclass(frozen=True)
class ServerSettings:
    """Server-side knobs that are not engine configuration."""

    worker_threads: int = 32
    control_threads: int = 4
    callback_timeout_s: float = 30.0
    callback_backoff_s: float = 0.5


class ServerState:
    def __init__(self, config: EngineConfig, settings: ServerSettings, engine: Engine | None = None) -> None:
        self.config = config
        self.settings = settings
        self._owns_engine = engine is None
        self._engine_future: Future[Engine] = Future()
        if engine is not None:
            self._engine_future.set_result(engine)
        self.workers = ThreadPoolExecutor(settings.worker_threads, thread_name_prefix="byzer-script")
        self.control = ThreadPoolExecutor(settings.control_threads, thread_name_prefix="byzer-control")
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False
        self._restarting = threading.Event()

    # -- the engine ---------------------------------------------------------------------------
    def start_engine(self) -> None:
        """Start Spark (and the rest of the engine) in a thread; readiness turns true when it is up."""
        if self._engine_future.done():
            return

        def build() -> None:
            try:
                engine = Engine(self.config)
                engine.spark  # noqa: B018 - Spark starts lazily; ready means it is up
            except BaseException as exc:  # reported by readiness and by every engine call
                log.error("the engine failed to start", exc_info=exc)
                self._engine_future.set_exception(exc)
            else:
                if self._closed:
                    engine.close()
                self._engine_future.set_result(engine)

        threading.Thread(target=build, name="byzer-engine-start", daemon=True).start()

    def readiness(self) -> tuple[Literal["starting", "restarting", "failed", "ready"], str | None]:
        if not self._engine_future.done():
            return "starting", "the engine is starting"
        exc = self._engine_future.exception()
        if exc is not None:
            return "failed", f"the engine failed to start: {type(exc).__name__}: {exc}"
        if not self._engine_future.result().driver_alive() or self._restarting.is_set():
            self._restart_driver()
            return "restarting", "the Spark driver stopped; the engine is starting a new one"
        return "ready", None

    def _restart_driver(self) -> None:
        """Starts a new Spark driver in the background (once at a time) after the old one died."""
        if self._closed or self._restarting.is_set():
            return
        self._restarting.set()
        engine = self._engine_future.result()

        def restart() -> None:
            try:
                log.error("the Spark driver stopped; starting a new one")
                engine.restart_driver_if_dead()
            except Exception as exc:  # reported again by the next readiness probe
                log.error("the Spark driver could not be restarted", exc_info=exc)
            finally:
                self._restarting.clear()

        threading.Thread(target=restart, name="byzer-driver-restart", daemon=True).start()

    def watch_driver(self, interval_s: float = 1.0) -> None:
        """Polls the driver so that a dead one is replaced even when nobody asks for readiness."""

        def watch() -> None:
            while not self._closed:
                time.sleep(interval_s)
                future = self._engine_future
                if future.done() and future.exception() is None and not future.result().driver_alive():
                    self._restart_driver()

        threading.Thread(target=watch, name="byzer-driver-watch", daemon=True).start()

    def engine_when_ready(self) -> Engine:
        """Blocks until the engine is up: for listeners beside the app (the MySQL one) on the same Engine."""
        return self._engine_future.result()

    async def engine(self) -> Engine:
        try:
            return await asyncio.wrap_future(self._engine_future)
        except Exception as exc:
            raise EngineFault(f"the engine failed to start: {type(exc).__name__}: {exc}") from exc

    # -- running blocking calls ---------------------------------------------------------------
    async def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run a blocking engine call on a worker thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.workers, functools.partial(fn, *args, **kwargs))

    async def run_control(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.control, functools.partial(fn, *args, **kwargs))

    def spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """A background task (async jobs) that lives until it finishes, even if nobody awaits it."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def close(self) -> None:
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self.workers.shutdown(wait=False, cancel_futures=True)
        self.control.shutdown(wait=False, cancel_futures=True)
        if self._owns_engine and self._engine_future.done() and self._engine_future.exception() is None:
            with contextlib.suppress(Exception):
                self._engine_future.result().close()
        if self._owns_engine and "ray" in sys.modules:
            # An embedded Ray started by this process goes with it (raylet, GCS, workers).
            from byzer_engine.llm.ray_runtime import shutdown_ray

            with contextlib.suppress(Exception):
                shutdown_ray()
