"""What a deployed pool is: its function name, backend, workers and routing settings."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from byzer_engine.llm.backends.base import BackendConfig


@dataclass(frozen=True)
class PoolSpec:
    name: str
    backend: BackendConfig
    workers: int = 1
    worker_max_concurrency: int = 1
    load_balance: str = "lru"
    # How long the master gathers arriving batches before computing them together (seconds).
    batch_window_s: float = 0.05
    # Custom Ray resources each worker needs (``!byzerllm setup "resources.NAME=AMOUNT"``).
    resources: Mapping[str, float] = field(default_factory=dict)
    # How often a part of a batch is re-sent after the worker serving it died.
    max_retries: int = 3
    owner: str = ""
    # Prefix-aware ordering of a window's requests (``prefixOrder``; see ``pool.ordering``).
    prefix_order: bool = True
    # The result cache (see ``pool.cache``): its folder and the model's identity ("" for either: off).
    cache_folder: str = ""
    cache_identity: str = ""
    cache_max_bytes: int = 256 * 1024 * 1024

    def fingerprint(self) -> str:
        """Equal fingerprints: a redeploy can keep the running pool instead of reloading the model."""
        data = asdict(self)
        data.pop("owner")
        text = json.dumps(data, sort_keys=True, default=str)
        return hashlib.sha1(text.encode()).hexdigest()

    def summary(self) -> dict[str, Any]:
        b = self.backend
        return {
            "name": self.name,
            "backend": b.backend,
            "model_type": b.model_type,
            "model": b.model_name,
            "model_dir": b.model_dir or "",
            "num_gpus": b.num_gpus,
            "num_cpus": b.num_cpus,
            "workers": self.workers,
            "worker_max_concurrency": self.worker_max_concurrency,
            "load_balance": self.load_balance,
            "batch_window_ms": round(self.batch_window_s * 1000, 3),
            "owner": self.owner,
            "prefix_order": self.prefix_order,
            "cache": bool(self.cache_folder and self.cache_identity),
        }
