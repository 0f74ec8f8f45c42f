"""Deployed models for the HTTP server: list them, call them, stream from them.

Requests arrive parsed and checked (``LLMRequest``, built by the route that received them); the
response shape is the SQL function's (see ``byzer_engine.llm.requests``). Every
function connects to Ray first (``ensure_ray``: the process's Ray, else ``$BYZER_RAY_ADDRESS``, else an
embedded one).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from byzer_engine.lang.errors import ByzerError
from byzer_engine.llm.requests import LLMRequest


def connect_if_available(address: str | None) -> bool:
    """Joins the configured Ray (or keeps this process's); False when there is none to join."""
    from byzer_engine.llm.ray_runtime import join_if_available

    return join_if_available(address)


def _connect() -> None:
    from byzer_engine.runtime.ray_connect import ensure_ray

    ensure_ray(None)


def list_models() -> list[dict[str, Any]]:
    """One entry per deployed function: name, backend, model, workers, alive, busy, idle, stats."""
    from byzer_engine.llm.pool import client

    _connect()
    models = []
    for info in client.list_pools():
        models.append(
            {
                "name": info.get("name"),
                "backend": info.get("backend"),
                "model": info.get("model"),
                "model_type": info.get("model_type"),
                "workers": info.get("workers"),
                "alive": info.get("alive"),
                "busy": info.get("busy"),
                "idle": info.get("idle"),
                "requests_served": info.get("requests_served"),
                "distinct_computed": info.get("distinct_computed"),
                "errors": info.get("errors"),
                "owner": info.get("owner"),
                "created": info.get("started_at"),
            }
        )
    return models


def generate(name: str, requests: list[LLMRequest]) -> list[dict[str, Any]]:
    """One response per request (a failed request gets ``{"error": ...}``); ByzerError if not deployed."""
    from byzer_engine.llm.pool import client

    _connect()
    return client.call(name, list(requests))


def generate_stream(name: str, request: LLMRequest) -> Iterator[str]:
    """Text deltas of one chat request as the model produces them."""
    import ray
    from ray.exceptions import RayActorError, RayTaskError

    from byzer_engine.llm.pool import client

    _connect()
    master = client.get_master(name)
    if master is None:
        raise ByzerError(f"no model is deployed as '{name}'")
    deltas = master.stream.remote(request)
    try:
        for ref in deltas:
            delta: str = ray.get(ref)
            if delta:
                yield delta
    except RayTaskError as exc:
        cause = exc.cause if exc.cause is not None else exc
        raise ByzerError(f"model '{name}' failed: {cause}") from None
    except RayActorError as exc:
        raise ByzerError(f"model '{name}' is gone: {exc}") from None
