"""One detached, named Ray actor that records every fine-tuning job: status, progress and loss log.

Training workers report to it as they go and it outlives them (and the engine process that started a
job), so ``list_jobs()`` from any process connected to the same Ray sees running and finished jobs.
It holds plain dicts only and never imports torch, so it costs one small process.
"""

from __future__ import annotations

import time
from typing import Any

import ray

NAMESPACE = "byzer"
REGISTRY_NAME = "byzer_finetune_jobs"
RUNNING = "running"
FINISHED = "finished"
FAILED = "failed"
STOPPED = "stopped"
FINAL_STATUSES = frozenset({FINISHED, FAILED, STOPPED})

# The record of a job, as kept here and returned by list_jobs() (plus elapsed_s, computed on read).
RECORD_FIELDS = (
    "name",
    "owner",
    "status",
    "phase",
    "base_model",
    "output_dir",
    "adapter_path",
    "plot_path",
    "train_rows",
    "step",
    "total_steps",
    "epoch",
    "loss",
    "learning_rate",
    "start_time",
    "end_time",
    "error",
    "detached",
    "worker",
)


class JobRegistry:
    """The job table. Calls run one at a time (a plain Ray actor), so updates never interleave."""

    def __init__(self) -> None:
        self._jobs: dict[str, dict[str, Any]] = {}
        self._logs: dict[str, list[dict[str, Any]]] = {}

    def register(self, record: dict[str, Any]) -> str | None:
        """Adds a job; returns why not when a running job already has the name."""
        name = str(record["name"])
        current = self._checked(name)
        if current is not None and current["status"] == RUNNING:
            return f"fine-tune job '{name}' is already running; stop it first or choose another name"
        full = {key: record.get(key) for key in RECORD_FIELDS}
        full["status"] = RUNNING
        full["start_time"] = record.get("start_time") or time.time()
        self._jobs[name] = full
        self._logs[name] = []
        return None

    def update(self, name: str, fields: dict[str, Any]) -> None:
        job = self._jobs.get(name)
        if job is not None and job["status"] == RUNNING:
            job.update(
                {key: value for key, value in fields.items() if key in RECORD_FIELDS and key != "status"}
            )

    def append_log(self, name: str, entry: dict[str, Any]) -> None:
        job = self._jobs.get(name)
        if job is None or job["status"] != RUNNING:
            return
        self._logs[name].append(entry)
        job.update(
            {
                key: entry[key]
                for key in ("step", "epoch", "loss", "learning_rate")
                if entry.get(key) is not None
            }
        )

    def finish(self, name: str, fields: dict[str, Any]) -> None:
        """Final state from the worker (or from the driver when feeding data failed); ends the worker."""
        job = self._jobs.get(name)
        if job is None or job["status"] != RUNNING:
            return
        job.update({key: value for key, value in fields.items() if key in RECORD_FIELDS})
        job["end_time"] = time.time()
        job["phase"] = "done"
        self._end_worker(job)

    def stop(self, name: str) -> bool:
        job = self._checked(name)
        if job is None or job["status"] != RUNNING:
            return False
        job["status"] = STOPPED
        job["phase"] = "done"
        job["end_time"] = time.time()
        self._end_worker(job)
        return True

    def get(self, name: str) -> dict[str, Any] | None:
        job = self._checked(name)
        return None if job is None else _with_elapsed(job)

    def all(self) -> list[dict[str, Any]]:
        return [_with_elapsed(job) for name in sorted(self._jobs) if (job := self._checked(name)) is not None]

    def log(self, name: str) -> list[dict[str, Any]] | None:
        return None if name not in self._jobs else list(self._logs[name])

    def _checked(self, name: str) -> dict[str, Any] | None:
        """The record, with a running job whose worker has vanished (killed, out of memory) marked failed."""
        job = self._jobs.get(name)
        if job is not None and job["status"] == RUNNING and not _actor_alive(job.get("worker")):
            job["status"] = FAILED
            job["phase"] = "done"
            job["end_time"] = time.time()
            job["error"] = (
                job.get("error") or "the training worker exited unexpectedly (out of memory or killed)"
            )
        return job

    @staticmethod
    def _end_worker(job: dict[str, Any]) -> None:
        worker = job.get("worker")
        if not worker:
            return
        try:
            ray.kill(ray.get_actor(worker, namespace=NAMESPACE), no_restart=True)
        except ValueError:
            pass  # already gone


def _actor_alive(name: str | None) -> bool:
    if not name:
        return False
    try:
        ray.get_actor(name, namespace=NAMESPACE)
    except ValueError:
        return False
    return True


def _with_elapsed(job: dict[str, Any]) -> dict[str, Any]:
    end = job.get("end_time") or time.time()
    return {**job, "elapsed_s": round(end - float(job["start_time"]), 1)}


def registry(create: bool = True) -> Any:
    """The registry actor handle (created on first use when ``create``); None when absent."""
    if not create:
        try:
            return ray.get_actor(REGISTRY_NAME, namespace=NAMESPACE)
        except ValueError:
            return None
    actor_class: Any = ray.remote(JobRegistry)
    return actor_class.options(
        name=REGISTRY_NAME,
        namespace=NAMESPACE,
        lifetime="detached",
        get_if_exists=True,
        num_cpus=0,
        max_restarts=0,
    ).remote()
