"""What the engine calls to deploy, find, call, list and remove pools (after ``ensure_ray``)."""

from __future__ import annotations

from typing import Any

import ray
from ray.exceptions import GetTimeoutError, RayActorError, RayTaskError

from byzer_engine.lang.errors import ByzerError
from byzer_engine.llm.pool.master import PoolMaster
from byzer_engine.llm.pool.spec import PoolSpec
from byzer_engine.llm.requests import LLMRequest
from byzer_engine.runtime.ray_connect import NAMESPACE

DESCRIBE_TIMEOUT_S = 30.0
# How often Ray restarts a pool master that died (a crash, an OOM kill) before the pool is dead.
MASTER_RESTARTS = 3
# Loading a large model onto a slow disk can take minutes; a pool that never schedules must not hang forever.
START_TIMEOUT_S = 1800.0


def _cause(exc: BaseException) -> str:
    if isinstance(exc, RayTaskError) and exc.cause is not None:
        return str(exc.cause)
    return str(exc)


def get_master(name: str) -> Any | None:
    """The master actor of the pool named ``name``, or None (also None for other kinds of named actors)."""
    try:
        handle = ray.get_actor(name, namespace=NAMESPACE)
    except ValueError:
        return None
    return handle if hasattr(handle, "worker_handles") and hasattr(handle, "generate") else None


def pool_names() -> list[str]:
    names = []
    for entry in ray.util.list_named_actors(all_namespaces=True):
        if isinstance(entry, dict) and entry.get("namespace") == NAMESPACE:
            names.append(str(entry["name"]))
    return sorted(n for n in names if get_master(n) is not None)


def describe(name: str) -> dict[str, Any] | None:
    master = get_master(name)
    if master is None:
        return None
    try:
        info: dict[str, Any] = ray.get(master.describe.remote(), timeout=DESCRIBE_TIMEOUT_S)
    except (RayActorError, GetTimeoutError):
        return None
    return info


def list_pools() -> list[dict[str, Any]]:
    """Every pool; one whose master no longer answers is listed as dead (never silently left out)."""
    pools = []
    for name in pool_names():
        info = describe(name)
        if info is None:
            info = {"name": name, "dead": True, "alive": 0, "detail": "the pool master does not answer"}
        pools.append(info)
    return pools


def _check_resources(spec: PoolSpec) -> None:
    b = spec.backend
    total = ray.cluster_resources()
    if b.num_gpus > 0 and total.get("GPU", 0.0) < b.num_gpus:
        raise ByzerError(
            f"num_gpus={b.num_gpus:g} but the Ray cluster has {total.get('GPU', 0.0):g} GPUs; "
            'on a CPU-only machine run !byzerllm setup "num_gpus=0"; before deploying'
        )
    for resource in spec.resources:
        if total.get(resource, 0.0) <= 0:
            raise ByzerError(
                f"resources.{resource} is set but no Ray node offers the resource '{resource}'; "
                "remove that setup key or start the Ray nodes with it"
            )
    free = ray.available_resources()
    for resource, per_worker in (("CPU", b.num_cpus), ("GPU", b.num_gpus), *spec.resources.items()):
        needed = per_worker * spec.workers
        if needed > free.get(resource, 0.0) + 1e-9:
            raise ByzerError(
                f"deploying '{spec.name}' needs {needed:g} {resource} slots of Ray "
                f"(maxConcurrency={spec.workers} x {per_worker:g} each) but only "
                f"{free.get(resource, 0.0):g} are free; remove an unused model (!byzerllm model remove NAME) "
                "or lower num_cpus / num_gpus / maxConcurrency"
            )


def remove(name: str) -> bool:
    """Stop the pool ``name`` (master and workers); False when there is none."""
    master = get_master(name)
    if master is None:
        return False
    try:
        ray.get(master.shutdown.remote(), timeout=DESCRIBE_TIMEOUT_S)
    except (RayActorError, GetTimeoutError):
        pass  # a dead or stuck master still gets killed below, and its workers die with it
    ray.kill(master)
    return True


def deploy(spec: PoolSpec) -> tuple[dict[str, Any], str]:
    """Start the pool (or keep a running one with the same settings); returns (description, status)."""
    existing = get_master(spec.name)
    if existing is not None:
        try:
            fingerprint = ray.get(existing.ping.remote(), timeout=DESCRIBE_TIMEOUT_S)
        except (RayActorError, GetTimeoutError):
            fingerprint = None
        if fingerprint == spec.fingerprint():
            info: dict[str, Any] = ray.get(existing.describe.remote(), timeout=DESCRIBE_TIMEOUT_S)
            return info, "reused"
        remove(spec.name)
    _check_resources(spec)
    try:
        actor_class: Any = ray.remote(PoolMaster)
        master = actor_class.options(
            name=spec.name,
            namespace=NAMESPACE,
            lifetime="detached",
            num_cpus=0,
            max_concurrency=1000,
            # A master that dies is restarted by Ray (its workers are loaded again), and the calls it
            # had (or that arrive while it restarts) are sent again to the new one: they are pure.
            max_restarts=MASTER_RESTARTS,
            max_task_retries=MASTER_RESTARTS,
        ).remote(spec)
    except ValueError as exc:
        raise ByzerError(f"cannot deploy '{spec.name}': {exc}") from exc
    try:
        info = ray.get(master.start.remote(), timeout=START_TIMEOUT_S)
    except (RayTaskError, RayActorError, GetTimeoutError) as exc:
        ray.kill(master)
        raise ByzerError(f"deploying '{spec.name}' failed: {_cause(exc)}") from None
    return info, "deployed"


def submit(name: str, batch: list[LLMRequest]) -> Any:
    """Send one batch of checked requests to the pool; ``wait`` gets the responses."""
    master = get_master(name)
    if master is None:
        raise ByzerError(f"no model is deployed as '{name}' (deploy it with run command as LLM.`` ...)")
    return master.generate.remote(batch)


def wait(name: str, handle: Any, *, timeout_s: float | None = None) -> list[dict[str, Any]]:
    """The responses to a batch ``submit`` sent, one per request."""
    try:
        responses: list[dict[str, Any]] = ray.get(handle, timeout=timeout_s)
    except GetTimeoutError:
        raise ByzerError(f"model '{name}' did not answer within {timeout_s:g} s") from None
    except RayActorError as exc:
        raise ByzerError(f"model '{name}' is gone: {_cause(exc)}") from None
    return responses


def call(name: str, batch: list[LLMRequest], *, timeout_s: float | None = None) -> list[dict[str, Any]]:
    """Send one batch of checked requests to the pool and wait; one response per request."""
    return wait(name, submit(name, batch), timeout_s=timeout_s)
