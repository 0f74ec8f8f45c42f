"""The models deployed with ``run command as LLM``, reached through ``byzer_engine.llm.serving``.

Ray is joined lazily: at the configured address (``--ray-address`` / BYZER_RAY_ADDRESS), or the
embedded Ray this process already started when a script deployed a model. A server that has neither
has no deployed models, and listing them must not start a Ray cluster just to say so.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any


class DeployedModels:
    def __init__(self, ray_address: str | None) -> None:
        self._ray_address = ray_address
        self._lock = threading.Lock()
        self._connected = False

    def _connect(self) -> bool:
        with self._lock:
            if self._connected:
                return True
            address = self._ray_address or os.environ.get("BYZER_RAY_ADDRESS") or None
            if address is None:
                import ray

                if not ray.is_initialized():
                    return False
            from byzer_engine.runtime.ray_connect import ensure_ray

            ensure_ray(address)
            self._connected = True
            return True

    def list_models(self) -> list[dict[str, Any]]:
        if not self._connect():
            return []
        from byzer_engine.llm import serving

        return list(serving.list_models())

    def find(self, name: str) -> dict[str, Any] | None:
        return next((m for m in self.list_models() if m.get("name") == name), None)

    def generate(self, name: str, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self._connect()
        from byzer_engine.llm import serving

        return list(serving.generate(name, requests))

    def stream(self, name: str, request: dict[str, Any]) -> Iterator[str]:
        self._connect()
        from byzer_engine.llm import serving

        return serving.generate_stream(name, request)
