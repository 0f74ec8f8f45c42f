"""Jobs: every ``run_script`` is one, with a Spark job group, a timeout and a kill switch.

The job group is set on the calling thread (PySpark pins each Python thread to a JVM thread), so
scripts of different owners run side by side in the server's threads and each can be cancelled alone.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from typing import Any

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime.progress.tracker import CallProgress, JobCalls, snapshots
from byzer_engine.runtime.secrets import mask_secrets


@dataclass(frozen=True)
class JobInfo:
    """A job as ``/runningjobs`` and ``load _mlsql_.`jobs` `` show it (``content`` with secrets masked)."""

    owner: str
    job_name: str
    job_type: str
    content: str
    group_id: str
    progress: str
    start_time: int  # epoch milliseconds
    timeout_ms: int  # -1: none
    status: str  # running | succeeded | failed | killed | timeout
    # Its model calls' progress (``runtime.progress``); None when it has made or watched none.
    calls: CallProgress | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "owner": self.owner,
            "jobName": self.job_name,
            "jobType": self.job_type,
            "content": self.content,
            "groupId": self.group_id,
            "progress": self.progress,
            "startTime": self.start_time,
            "timeout": self.timeout_ms,
            "status": self.status,
            "callProgress": self.calls.to_dict() if self.calls is not None else None,
        }


@dataclass
class RunningJob:
    """The mutable side of a job while it runs: cancellation state and cleanup callbacks."""

    info: JobInfo
    calls: JobCalls
    cancel_reason: str | None = None  # "killed" | "timeout" once cancelled
    _callbacks: list[Callable[[], None]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _timer: threading.Timer | None = None

    @property
    def group_id(self) -> str:
        return self.info.group_id

    def on_cancel(self, callback: Callable[[], None]) -> None:
        """Registers a cleanup to run if the job is killed or times out (runs at once if it already was)."""
        with self._lock:
            if self.cancel_reason is None:
                self._callbacks.append(callback)
                return
        _run_quietly(callback)

    def mark_cancelled(self, reason: str) -> bool:
        """Sets the reason once and runs the callbacks; False when the job was already cancelled."""
        with self._lock:
            if self.cancel_reason is not None:
                return False
            self.cancel_reason = reason
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            _run_quietly(callback)
        return True

    def set_status(self, status: str) -> None:
        self.info = replace(self.info, status=status)


def _run_quietly(callback: Callable[[], None]) -> None:
    # A cleanup that fails must not stop the others, nor mask why the job stopped.
    try:
        callback()
    except Exception:
        pass


# How often a cancelled job's Spark group is cancelled again until its script stops.
RECANCEL_INTERVAL_S = 0.5


class JobRegistry:
    """Jobs in flight, found by name or group id; cancellation goes through Spark's job groups."""

    def __init__(self, cancel_group: Callable[[str], None], progress_of: Callable[[str], str]) -> None:
        self._cancel_group = cancel_group
        self._progress_of = progress_of
        self._jobs: dict[str, RunningJob] = {}
        self._lock = threading.Lock()

    def start(
        self,
        *,
        owner: str,
        content: str,
        job_name: str | None,
        job_type: str,
        timeout_s: float | None,
    ) -> RunningJob:
        if timeout_s is not None:
            timeout_s = min(timeout_s, threading.TIMEOUT_MAX / 2)  # longer than any job; Timer's limit
        group_id = uuid.uuid4().hex
        name = job_name or group_id
        timeout_ms = int(timeout_s * 1000) if timeout_s is not None and timeout_s > 0 else -1
        info = JobInfo(
            owner=owner,
            job_name=name,
            job_type=job_type,
            content=mask_secrets(content),
            group_id=group_id,
            progress="0/0",
            start_time=int(time.time() * 1000),
            timeout_ms=timeout_ms,
            status="running",
        )
        job = RunningJob(info, JobCalls(group_id, owner))
        with self._lock:
            if any(j.info.job_name == name and j.info.owner == owner for j in self._jobs.values()):
                raise ByzerError(f"a job named '{name}' is already running")
            self._jobs[group_id] = job
        if timeout_ms > 0 and timeout_s is not None:
            timer = threading.Timer(timeout_s, self._cancel, args=(job, "timeout"))
            timer.daemon = True
            job._timer = timer
            timer.start()
        return job

    def finish(self, job: RunningJob, status: str) -> None:
        if job._timer is not None:
            job._timer.cancel()
        job.set_status(status)
        job.calls.stop()
        with self._lock:
            self._jobs.pop(job.group_id, None)

    def find(
        self,
        *,
        job_name: str | None = None,
        group_id: str | None = None,
        owners: Collection[str] | None = None,
    ) -> RunningJob | None:
        """The running job with that name or group id, among ``owners``' jobs (None: anyone's)."""
        with self._lock:
            for job in self._jobs.values():
                if owners is not None and job.info.owner not in owners:
                    continue
                if (group_id is not None and job.group_id == group_id) or (
                    job_name is not None and job.info.job_name == job_name
                ):
                    return job
        return None

    def kill(
        self,
        *,
        job_name: str | None = None,
        group_id: str | None = None,
        owners: Collection[str] | None = None,
    ) -> bool:
        job = self.find(job_name=job_name, group_id=group_id, owners=owners)
        if job is None:
            return False
        return self._cancel(job, "killed")

    def _cancel(self, job: RunningJob, reason: str) -> bool:
        if not job.mark_cancelled(reason):
            return False
        job.calls.stop()
        self._cancel_group_quietly(job.group_id)
        # Spark cancels only the jobs a group has at that moment: a statement that was between two
        # Spark jobs (parsing, planning, a JVM busy starting) submits its next one after the cancel. So
        # the group is cancelled again until the script has stopped.
        watcher = threading.Thread(
            target=self._cancel_until_finished, args=(job,), name=f"cancel-{job.group_id}", daemon=True
        )
        watcher.start()
        return True

    def _cancel_until_finished(self, job: RunningJob) -> None:
        while True:
            with self._lock:
                if job.group_id not in self._jobs:
                    return
            time.sleep(RECANCEL_INTERVAL_S)
            self._cancel_group_quietly(job.group_id)

    def _cancel_group_quietly(self, group_id: str) -> None:
        try:
            self._cancel_group(group_id)
        except Exception:
            # The session may be gone already; the job still stops at its next statement.
            pass

    def running(self, owners: Collection[str] | None = None) -> list[JobInfo]:
        """Jobs in flight, of ``owners`` only unless None."""
        with self._lock:
            jobs = [j for j in self._jobs.values() if owners is None or j.info.owner in owners]
        calls = snapshots([job.calls for job in jobs])
        return [
            replace(job.info, progress=self._safe_progress(job.group_id), calls=calls.get(job.group_id))
            for job in jobs
        ]

    def _safe_progress(self, group_id: str) -> str:
        try:
            return self._progress_of(group_id)
        except Exception:
            return "0/0"
