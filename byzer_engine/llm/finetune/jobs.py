"""Fine-tuning jobs as seen by ``!byzerllm model list/remove`` and ``load _mlsql_.`jobs` ``.

The job registry is a detached Ray actor, so any process connected to the same Ray (a restarted
engine on a cluster, the HTTP server) sees the same jobs. A process that has not connected to Ray
yet connects only when ``BYZER_RAY_ADDRESS`` names a cluster: an embedded Ray it would start fresh
could hold no jobs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

_RAY_ADDRESS_ENV = "BYZER_RAY_ADDRESS"


def _registry() -> Any:
    import ray

    if not ray.is_initialized():
        if not os.environ.get(_RAY_ADDRESS_ENV):
            return None
        from byzer_engine.runtime.ray_connect import ensure_ray

        ensure_ray(None)
    from byzer_engine.llm.finetune.registry import registry

    return registry(create=False)


def list_jobs() -> list[dict[str, Any]]:
    """Every known job: name, status (running/finished/failed/stopped), phase, step, loss, elapsed_s, ..."""
    import ray

    from byzer_engine.llm.finetune.tables import job_row

    handle = _registry()
    if handle is None:
        return []
    return [job_row(record) for record in ray.get(handle.all.remote())]


def get_job(name: str) -> dict[str, Any] | None:
    import ray

    from byzer_engine.llm.finetune.tables import job_row

    handle = _registry()
    if handle is None:
        return None
    record = ray.get(handle.get.remote(name))
    return None if record is None else job_row(record)


def stop_job(name: str) -> bool:
    """Stops a running job (its worker ends at once); False when no job of that name is running."""
    import ray

    handle = _registry()
    return False if handle is None else bool(ray.get(handle.stop.remote(name)))


def job_log(name: str) -> list[dict[str, Any]] | None:
    """The loss log of a job (step, epoch, loss, learning_rate, grad_norm); None when no such job."""
    import ray

    from byzer_engine.llm.finetune.tables import log_rows

    handle = _registry()
    if handle is None:
        return None
    log = ray.get(handle.log.remote(name))
    return None if log is None else log_rows(log)


@dataclass(frozen=True)
class FinetuneJobProvider:
    """The ``byzer_engine.job_providers`` entry point: rows for ``load _mlsql_.`jobs` ``."""

    def list_jobs(self) -> list[dict[str, Any]]:
        return list_jobs()

    def job_log(self, name: str) -> list[dict[str, Any]] | None:
        return job_log(name)

    def stop_job(self, name: str) -> bool:
        return stop_job(name)


PROVIDER = FinetuneJobProvider()
