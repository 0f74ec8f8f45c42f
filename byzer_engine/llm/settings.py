"""``!byzerllm setup ...`` settings: checked key=value pairs kept per owner for the next deploys.

They live in ``ctx.owner_state[SETUP_KEY]`` (a ``dict[str, str]``), so they last for the owner's
session, like Byzer's. Deploy options with the same names override them for one deploy.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from byzer_engine.booleans import parse_bool
from byzer_engine.lang.errors import ByzerError

SETUP_KEY = "byzerllm.setup"
MODES = ("single", "sft")
BALANCE_NAMES = ("lru", "round_robin")
# Batches reaching a pool within this many milliseconds are computed together (see pool/master.py).
DEFAULT_BATCH_WINDOW_MS = 50
# Each model gets the backend that serves it best (llama.cpp for a GGUF file, transformers otherwise).
DEFAULT_BACKEND = "auto"


def _non_negative_number(key: str, value: str) -> str:
    try:
        number = float(value)
    except ValueError:
        raise ByzerError(f"{key} must be a number, got '{value}'") from None
    if number < 0:
        raise ByzerError(f"{key} must not be negative, got '{value}'")
    return value


def _positive_int(key: str, value: str) -> str:
    if not re.fullmatch(r"\s*[0-9]+\s*", value) or int(value) < 1:
        raise ByzerError(f"{key} must be a whole number of at least 1, got '{value}'")
    return value.strip()


def _choice(allowed: tuple[str, ...]) -> Callable[[str, str], str]:
    def check(key: str, value: str) -> str:
        if value not in allowed:
            raise ByzerError(f"{key} must be one of {', '.join(allowed)}; got '{value}'")
        return value

    return check


def _infer_backend(key: str, value: str) -> str:
    """One of the names the registered backends answer to (see ``backends.infer_backend_names``)."""
    from byzer_engine.llm.backends import infer_backend_names

    return _choice(infer_backend_names())(key, value)


def _any(key: str, value: str) -> str:
    return value


def _boolean(key: str, value: str) -> str:
    return "true" if parse_bool(key, value) else "false"


def _num_gpus(key: str, value: str) -> str:
    return value if value == "auto" else _non_negative_number(key, value)


SETUP_KEYS: dict[str, Callable[[str, str], str]] = {
    "num_gpus": _num_gpus,
    "num_cpus": _non_negative_number,
    "maxConcurrency": _positive_int,
    "workerMaxConcurrency": _positive_int,
    "infer_backend": _infer_backend,
    "rayAddress": _any,
    "load_balance": _choice(BALANCE_NAMES),
    "timeout": _non_negative_number,
    "batchWindowMs": _non_negative_number,
    # Usage limits of the functions deployed next (see llm/usage.py).
    "queryTokenLimit": _positive_int,
    "queryRequestLimit": _positive_int,
    "ownerTokenLimit": _positive_int,
    "ownerRequestLimit": _positive_int,
    # The result cache of the functions deployed next (see llm/pool/cache.py).
    "cache": _boolean,
    "cacheMaxMB": _positive_int,
    # Prefix-aware ordering of requests and shared-prefix KV (see llm/pool/ordering.py).
    "prefixOrder": _boolean,
}


def check_setting(key: str, value: str) -> str:
    """The value to store for ``key``; a ByzerError naming the key and what it accepts otherwise."""
    if key.startswith("resources.") and len(key) > len("resources."):
        return _non_negative_number(key, value)
    checker = SETUP_KEYS.get(key)
    if checker is None:
        known = ", ".join([*SETUP_KEYS, "resources.NAME"])
        raise ByzerError(f"unknown !byzerllm setup key '{key}'; known keys: {known}")
    return checker(key, value.strip())


def has_local_gpu() -> bool:
    """A cheap look for an NVIDIA device on this machine, without importing torch."""
    return os.path.exists("/dev/nvidia0") or os.path.exists("/proc/driver/nvidia/gpus")


def mode_defaults(mode: str) -> dict[str, str]:
    if mode == "single":
        return {"mode": "single", "num_gpus": "auto", "maxConcurrency": "1", "infer_backend": DEFAULT_BACKEND}
    if mode == "sft":
        return {"mode": "sft", "num_gpus": "auto"}
    raise ByzerError(
        f"unknown !byzerllm setup mode '{mode}'; known modes: {', '.join(MODES)}, or \"KEY=VALUE\""
    )


def current(owner_state: Mapping[str, Any]) -> dict[str, str]:
    """The owner's settings so far (empty before any setup)."""
    stored = owner_state.get(SETUP_KEY)
    return dict(stored) if isinstance(stored, dict) else {}


def apply_setup(owner_state: MutableMapping[str, Any], argument: str) -> dict[str, str]:
    """``single`` / ``sft`` reset the settings to that mode's defaults; ``KEY=VALUE`` sets one key."""
    if "=" in argument:
        key, _, value = argument.partition("=")
        key = key.strip()
        settings = current(owner_state)
        settings[key] = check_setting(key, value)
    else:
        settings = mode_defaults(argument.strip())
    owner_state[SETUP_KEY] = settings
    return settings


@dataclass(frozen=True)
class Resolved:
    """Pool settings for one deploy: setup values overridden by the deploy's own options."""

    num_gpus: float | None  # None: "auto", one GPU when the Ray cluster has one
    num_cpus: float | None
    workers: int
    worker_max_concurrency: int
    infer_backend: str
    ray_address: str | None
    load_balance: str
    timeout_s: float | None
    resources: dict[str, float]
    batch_window_s: float = DEFAULT_BATCH_WINDOW_MS / 1000
    limits: dict[str, str] = field(default_factory=dict)
    cache: bool = True
    cache_max_mb: int = 256
    prefix_order: bool = True


def resolve(settings: Mapping[str, str], options: Mapping[str, str]) -> Resolved:
    merged = dict(settings)
    for key in SETUP_KEYS:
        if key in options:
            merged[key] = check_setting(key, options[key])
    num_gpus = merged.get("num_gpus", "auto")
    timeout = merged.get("timeout")
    return Resolved(
        num_gpus=None if num_gpus == "auto" else float(num_gpus),
        num_cpus=float(merged["num_cpus"]) if "num_cpus" in merged else None,
        workers=int(merged.get("maxConcurrency", "1")),
        worker_max_concurrency=int(merged.get("workerMaxConcurrency", "1")),
        infer_backend=merged.get("infer_backend", DEFAULT_BACKEND),
        ray_address=merged.get("rayAddress") or None,
        load_balance=merged.get("load_balance", "lru"),
        timeout_s=float(timeout) if timeout and float(timeout) > 0 else None,
        resources={k[len("resources.") :]: float(v) for k, v in merged.items() if k.startswith("resources.")},
        batch_window_s=float(merged.get("batchWindowMs", DEFAULT_BATCH_WINDOW_MS)) / 1000,
        limits={k: v for k, v in merged.items() if k.endswith(("TokenLimit", "RequestLimit"))},
        cache=merged.get("cache", "true") == "true",
        cache_max_mb=int(merged.get("cacheMaxMB", "256")),
        prefix_order=merged.get("prefixOrder", "true") == "true",
    )
