"""One model replica inside a Ray actor; the master sends it whole parts of batches."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from typing import Any

from byzer_engine.llm.backends import Backend, BackendConfig, create_backend
from byzer_engine.llm.requests import LLMRequest, error_response


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

    def generate(self, requests: list[LLMRequest]) -> list[dict[str, Any]]:
        """The backend's responses to requests already parsed and checked where they entered."""
        backend = self._backend()
        started = time.perf_counter()
        responses = backend.generate(requests) if requests else []
        with self._lock:
            self.requests += len(requests)
            self.batches += 1
            self.busy_seconds += time.perf_counter() - started
        if len(responses) != len(requests):
            return [error_response(r.raw, "no response") for r in requests]
        return responses

    def count_tokens(self, requests: list[LLMRequest]) -> list[int | None]:
        """The input tokens each request would be (``None`` where the backend cannot tell)."""
        return self._backend().count_tokens(requests)

    def stream(self, request: LLMRequest) -> Iterator[str]:
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
