"""A running job's calls: what they will send, counted before they run, and what they have done.

``JobCalls.watch(spark, df)`` is called just before the engine acts on a DataFrame (a script's
result, a save). When its optimized plan has calls of a source's functions, the requests they will
make are counted in a background thread (a Spark job of its own group, so it neither shows in the
job's task progress nor outlives the job) and added to the job's total; the query waits up to
``COUNT_FIRST_S`` for it, so that a quick count is not left behind the query's own tasks. ``snapshots`` then joins the
totals with the sources' activity of each job's Spark group: rows done, rows total, tokens per
second, and the time left at the rate so far.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from byzer_engine.runtime.progress.sources import Activity, ProgressSource, progress_sources

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from byzer_engine.runtime.explain.calls import PythonCall

log = logging.getLogger(__name__)
POOL_PROPERTY = "spark.scheduler.pool"
# How long the query waits for its calls to be counted before it runs (the count goes on after).
COUNT_FIRST_S = 2.0


@dataclass(frozen=True)
class CallProgress:
    """Rows (requests) done of the total (``None`` until counted, or when it cannot be), output tokens,
    tokens per second and seconds left (``None`` until there is a rate and a total)."""

    rows_done: int
    rows_total: int | None
    output_tokens: int
    tokens_per_s: float | None
    eta_s: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rowsDone": self.rows_done,
            "rowsTotal": self.rows_total,
            "outputTokens": self.output_tokens,
            "tokensPerSecond": self.tokens_per_s,
            "etaSeconds": self.eta_s,
        }


def progress_of(activity: Activity | None, total: int | None, now: float) -> CallProgress:
    done = activity.requests if activity is not None else 0
    tokens = activity.output_tokens if activity is not None else 0
    tokens_per_s = eta = None
    if activity is not None and activity.last_finished > activity.first_started:
        elapsed = activity.last_finished - activity.first_started
        tokens_per_s = round(tokens / elapsed, 2)
        if total is not None and done > 0:
            # The rate of the chunks answered so far, less the time since the last one was.
            left = max(0, total - done) * elapsed / done - (now - activity.last_finished)
            eta = round(max(0.0, left), 1) if done < total else 0.0
    return CallProgress(done, total, tokens, tokens_per_s, eta)


@dataclass
class JobCalls:
    """The calls of one job: the requests counted so far, and whether any count is pending or unknown."""

    group_id: str
    owner: str
    total: int = 0
    counting: int = 0
    unknown: bool = False
    watched: bool = False
    _spark: Any = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def count_group(self) -> str:
        return f"{self.group_id}-count"

    def watch(self, spark: SparkSession, df: DataFrame) -> None:
        """Counts, in the background, the requests ``df``'s calls will make (nothing when it has none)."""
        if not hasattr(df, "_jdf"):
            return  # Spark Connect: no plan to walk from Python
        named = [(source, set(source.functions())) for source in progress_sources()]
        named = [(source, names) for source, names in named if names]
        if not named:
            return
        from byzer_engine.runtime.explain.plans import python_calls

        try:
            calls = python_calls(df)
        except Exception as exc:  # progress is an aid: a plan it cannot read must not fail the job
            log.warning("the calls of a query cannot be read for its progress: %s", exc)
            return
        mine = [(source, names, call) for call in calls for source, names in named if call.name in names]
        if not mine:
            return
        with self._lock:
            self.watched = True
            self.counting += 1
            self._spark = spark
        counted = threading.Event()
        threading.Thread(
            target=self._count, args=(spark, mine, counted), name=f"count-{self.group_id}", daemon=True
        ).start()
        # The query's own tasks may take every slot until they end: a count that is quick gets them
        # first, one that is not goes on beside the query.
        counted.wait(COUNT_FIRST_S)

    def _count(
        self,
        spark: SparkSession,
        mine: Sequence[tuple[ProgressSource, Collection[str], PythonCall]],
        counted: threading.Event,
    ) -> None:
        context = spark.sparkContext
        context.setJobGroup(
            self.count_group, f"{self.owner}: counting the calls' rows", interruptOnCancel=True
        )
        context.setLocalProperty(POOL_PROPERTY, self.owner)
        total, known = 0, True
        try:
            for source, names, call in mine:
                found = source.count(call, names)
                if found is None:
                    known = False
                    break
                total += found
        except Exception as exc:
            log.info("the rows of a query's calls were not counted: %s", exc)
            known = False
        finally:
            for key in (
                "spark.jobGroup.id",
                "spark.job.description",
                "spark.job.interruptOnCancel",
                POOL_PROPERTY,
            ):
                context.setLocalProperty(key, None)  # type: ignore[arg-type]
        counted.set()
        with self._lock:
            self.counting -= 1
            if not known:
                self.unknown = True
            else:
                self.total += total

    def stop(self) -> None:
        """Cancels a count still running (the job ended or was cancelled)."""
        with self._lock:
            spark, counting = self._spark, self.counting
        if spark is not None and counting:
            try:
                spark.sparkContext.cancelJobGroup(self.count_group)
            except Exception as exc:  # the session is gone, and its count with it
                log.debug("the call count of %s was not cancelled: %s", self.group_id, exc)

    def known_total(self) -> int | None:
        with self._lock:
            return None if self.unknown or self.counting or not self.watched else self.total


def snapshots(jobs: Sequence[JobCalls]) -> dict[str, CallProgress]:
    """Each job's call progress by group id; jobs with neither watched calls nor activity are left out."""
    if not jobs:
        return {}
    groups = [job.group_id for job in jobs]
    seen: dict[str, Activity] = {}
    for source in progress_sources():
        try:
            found = source.activity(groups)
        except Exception as exc:
            log.info("a progress source did not answer: %s", exc)
            continue
        for group, activity in found.items():
            if group in seen:
                other = seen[group]
                activity = Activity(
                    other.requests + activity.requests,
                    other.output_tokens + activity.output_tokens,
                    min(other.first_started, activity.first_started),
                    max(other.last_finished, activity.last_finished),
                )
            seen[group] = activity
    now = time.time()
    return {
        job.group_id: progress_of(seen.get(job.group_id), job.known_total(), now)
        for job in jobs
        if job.watched or job.group_id in seen
    }
