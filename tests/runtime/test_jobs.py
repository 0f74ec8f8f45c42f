"""Jobs: Spark job groups per script, timeout, kill (with on_cancel callbacks), running jobs, and
scripts of different owners in parallel threads."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, ClassVar

import pytest

from byzer_engine.lang.errors import ByzerJobKilled, ByzerTimeout
from byzer_engine.runtime import Engine, JobInfo
from byzer_engine.runtime.ets.base import ET, ETContext

# Minutes of work on two cores: every test stops it long before it ends.
ENDLESS = "select max(hash(id)) as m from range(0, 200000000000, 1, 4) as t;"
# As long, but in many short tasks: running tasks are never preempted, so only a job that frees its
# task slots now and then lets another owner's query in (the FAIR pools then hand it the next slot).
ENDLESS_SHORT_TASKS = "select count(*) as c from range(0, 2000000000000, 1, 4000) as t;"


def _wait_for(condition: Callable[[], Any], seconds: float = 120) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def _job_named(engine: Engine, name: str) -> JobInfo | None:
    return next((job for job in engine.running_jobs() if job.job_name == name), None)


class _Background:
    """Runs a script in a thread and keeps what it returned or raised."""

    def __init__(self, engine: Engine, script: str, **kwargs: Any) -> None:
        self.outcome: Any = None
        self.thread = threading.Thread(target=self._run, args=(engine, script, kwargs), daemon=True)
        self.thread.start()

    def _run(self, engine: Engine, script: str, kwargs: dict[str, Any]) -> None:
        try:
            self.outcome = engine.run_script(script, **kwargs)
        except Exception as exc:
            self.outcome = exc

    def join(self) -> Any:
        self.thread.join(timeout=180)
        assert not self.thread.is_alive()
        return self.outcome


class CancelAwareET(ET):
    """Registers a cleanup, then runs Spark work until it is cancelled."""

    name = "CancelAwareTest"
    cancelled: ClassVar[threading.Event] = threading.Event()

    def run(self, ctx: ETContext, table: Any, path: str, options: dict[str, str]) -> Any:
        ctx.on_cancel(self.cancelled.set)
        ctx.spark.sql(ENDLESS.removesuffix(" as t;")).collect()
        return None


@pytest.mark.timeout(300)
def test_timeout_cancels_the_job(engine: Engine) -> None:
    started = time.monotonic()
    with pytest.raises(ByzerTimeout) as caught:
        engine.run_script("select 1 as a as t;\n" + ENDLESS, owner="timed", timeout_s=3, file="slow.byzer")
    assert time.monotonic() - started < 120
    assert caught.value.line == 2 and "timeout" in caught.value.message
    assert not any(job.owner == "timed" for job in engine.running_jobs())


@pytest.mark.timeout(300)
def test_kill_by_name_with_progress_and_callbacks(engine: Engine) -> None:
    engine.ets.register(CancelAwareET)
    CancelAwareET.cancelled.clear()
    background = _Background(engine, "run command as CancelAwareTest.``;", owner="killed", job_name="to-kill")
    job = _wait_for(lambda: _job_named(engine, "to-kill"))
    assert job.owner == "killed" and job.status == "running" and job.content.startswith("run command")
    # Progress comes from Spark's status tracker: tasks appear once the stage is scheduled.
    _wait_for(lambda: (j := _job_named(engine, "to-kill")) is not None and j.progress.split("/")[1] != "0")
    assert engine.kill(job_name="to-kill") is True
    error = background.join()
    assert isinstance(error, ByzerJobKilled), error
    assert CancelAwareET.cancelled.is_set()
    assert engine.kill(job_name="to-kill") is False


@pytest.mark.timeout(300)
def test_kill_from_another_script(engine: Engine) -> None:
    background = _Background(engine, ENDLESS, owner="victim", job_name="victim-job")
    _wait_for(lambda: _job_named(engine, "victim-job"))
    result = engine.run_script("!kill victim-job;", owner="killer")
    assert result.rows == [{"job": "victim-job", "killed": True}]
    assert isinstance(background.join(), ByzerJobKilled)


@pytest.mark.timeout(300)
def test_owners_run_in_parallel_and_are_cancelled_alone(engine: Engine) -> None:
    slow = _Background(engine, ENDLESS_SHORT_TASKS, owner="parallel_slow", job_name="parallel-slow")
    _wait_for(lambda: _job_named(engine, "parallel-slow"))
    # While the slow job holds its group, another owner's scripts run and finish.
    quick = engine.run_script("select sum(id) as s from range(1000) as t;", owner="parallel_quick")
    assert quick.rows == [{"s": 499500}]
    group_id = _job_named(engine, "parallel-slow").group_id  # type: ignore[union-attr]
    assert engine.kill(group_id=group_id) is True
    assert isinstance(slow.join(), ByzerJobKilled)
    assert engine.run_script("select 1 as ok as t;", owner="parallel_slow").rows == [{"ok": 1}]


def test_job_names_are_unique_while_running(engine: Engine) -> None:
    # short tasks: the other owner's query below needs a task slot while this job runs
    background = _Background(engine, ENDLESS_SHORT_TASKS, owner="unique", job_name="only-one")
    _wait_for(lambda: _job_named(engine, "only-one"))
    with pytest.raises(Exception, match="already running"):
        engine.run_script("select 1 as a as t;", owner="unique", job_name="only-one")
    # names are unique per owner: another owner's job may have the same name
    assert engine.run_script("select 1 as a as t;", job_name="only-one").rows == [{"a": 1}]
    engine.kill(job_name="only-one", owners=["unique"])
    assert isinstance(background.join(), ByzerJobKilled)
