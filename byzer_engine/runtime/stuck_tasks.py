"""Cancelled Spark tasks that do not stop: found after a grace period, and the driver replaced.

Spark cancels a task by setting a flag that its code checks now and then; some plans never check it.
``range()`` feeding an operator outside whole-stage code generation (``max`` of a string,
``collect_list``, a Python UDF) returns to its consumer after every row, before the check, so a
cancelled ``select max(sha2(cast(id as string), 256)) from range(0, 10000000000)`` runs on for hours,
holding its task slots: every other owner's queries then wait behind it. Such a task cannot be
stopped inside the JVM (``Thread.stop`` is fatal to Spark's executor), so when the tasks of a
cancelled job group are still running ``grace_s`` after the cancel, the driver JVM is ended; the
engine's JVM-survival path (``runtime/driver.py``) starts a new one and tells each owner that their
session's views and variables are gone. ``stuck_task_grace_s = 0`` turns this off.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger("byzer_engine.runtime")

_TASK_THREAD = re.compile(r"Executor task launch worker for task [\d.]+ in stage (\d+)\.\d+ ")


def stages_of_group(spark: SparkSession, group_id: str) -> set[int]:
    """The stages of the Spark jobs that ``group_id`` has started so far."""
    tracker = spark.sparkContext.statusTracker()
    stages: set[int] = set()
    for job_id in tracker.getJobIdsForGroup(group_id):
        job = tracker.getJobInfo(job_id)
        if job is not None:
            stages.update(int(s) for s in job.stageIds)
    return stages


def running_task_stages(spark: SparkSession) -> set[int]:
    """The stages whose tasks have a thread in the driver's executor now (local mode)."""
    jvm: Any = spark.sparkContext._jvm  # type: ignore[attr-defined]
    threads = jvm.java.lang.Thread.getAllStackTraces().keySet().toArray()
    stages = set()
    for thread in threads:
        match = _TASK_THREAD.match(str(thread.getName()))
        if match is not None and thread.isAlive():
            stages.add(int(match.group(1)))
    return stages


class StuckTaskWatch:
    """One check per cancelled group: ``end_driver(reason)`` when its tasks outlive the grace period."""

    def __init__(self, grace_s: float, end_driver: Callable[[str], None]) -> None:
        self.grace_s = grace_s
        self._end_driver = end_driver
        self._watched: set[str] = set()
        self._lock = threading.Lock()

    def cancelled(self, spark: SparkSession, group_id: str, stages: set[int]) -> None:
        if self.grace_s <= 0 or not stages:
            return
        with self._lock:
            if group_id in self._watched:
                return
            self._watched.add(group_id)
        timer = threading.Timer(self.grace_s, self._check, args=(spark, group_id, stages))
        timer.daemon = True
        timer.name = f"stuck-tasks-{group_id}"
        timer.start()

    def _check(self, spark: SparkSession, group_id: str, stages: set[int]) -> None:
        try:
            still = stages & running_task_stages(spark)
        except Exception:  # the driver is gone already, or stopping
            return
        finally:
            with self._lock:
                self._watched.discard(group_id)
        if still:
            reason = (
                f"tasks of cancelled job group {group_id} (stages {sorted(still)}) were still running "
                f"{self.grace_s:g}s after the cancel"
            )
            log.error("%s: ending the Spark driver so that a new one takes over", reason)
            self._end_driver(reason)
