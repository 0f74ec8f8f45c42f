"""The LLM stack's name for the engine's one Ray connection (``byzer_engine.runtime.ray_connect``)."""

from __future__ import annotations

from byzer_engine.runtime.ray_connect import (
    ADDRESS_ENV,
    NAMESPACE,
    NUM_CPUS_ENV,
    OBJECT_STORE_ENV,
    current_address,
    ensure_ray,
    join_if_available,
    shutdown_ray,
)

__all__ = [
    "ADDRESS_ENV",
    "NAMESPACE",
    "NUM_CPUS_ENV",
    "OBJECT_STORE_ENV",
    "current_address",
    "ensure_ray",
    "join_if_available",
    "shutdown_ray",
]
