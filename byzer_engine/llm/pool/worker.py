"""One model replica inside a Ray actor; the master sends it whole parts of batches."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from typing import Any

from byzer_engine.llm.backends import Backend, BackendConfig, create_backend
from byzer_engine.llm.requests import LLMRequest, RequestError, error_response, parse_request


class ModelWorker:
    """Loads its backend in ``load`` (not ``__init__``) so a load failure reaches the caller as is."""

    def __init__(self, config: BackendConfig, index: int) -> None:
        self.config = config
        self.index = index
        self.backend: Backend | None = None
        self.requests = 0
        self.batches = 0
        self.busy_seconds = 0.0
        self._lock = threading.Lock()

    def load(self) -> dict[str, Any]:
        started = time.perf_counter()
        self.backend = create_backend(self.config)
        return {
            **self.backend.describe(),
            "pid": os.getpid(),
            "load_s": round(time.perf_counter() - started, 2),
        }

    def _backend(self) -> Backend:
        if self.backend is None:
            raise RuntimeError("the worker has not loaded its model")
        return self.backend

    def generate(self, raws: list[dict[str, Any]]) -> list[dict[str, Any]]:
        backend = self._backend()
        started = time.perf_counter()
        responses: list[dict[str, Any] | None] = [None] * len(raws)
        parsed: list[tuple[int, LLMRequest]] = []
        for i, raw in enumerate(raws):
            try:
                parsed.append((i, parse_request(raw)))
            except RequestError as exc:
                responses[i] = error_response(raw, str(exc))
        if parsed:
            for (i, _), response in zip(parsed, backend.generate([r for _, r in parsed]), strict=True):
                responses[i] = response
        with self._lock:
            self.requests += len(raws)
            self.batches += 1
            self.busy_seconds += time.perf_counter() - started
        return [
            r if r is not None else error_response(raws[i], "no response") for i, r in enumerate(responses)
        ]

    def stream(self, raw: dict[str, Any]) -> Iterator[str]:
        request = parse_request(raw)
        with self._lock:
            self.requests += 1
        yield from self._backend().stream(request)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "index": self.index,
                "pid": os.getpid(),
                "requests": self.requests,
                "batches": self.batches,
                "busy_s": round(self.busy_seconds, 3),
            }
