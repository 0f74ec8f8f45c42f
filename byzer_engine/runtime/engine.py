"""``Engine``: one SparkSession, per-owner sessions, and ``run_script`` (the API under CLI and server)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from byzer_engine.lang.errors import ByzerError
from byzer_engine.policy import Policy
from byzer_engine.runtime.config import EngineConfig
from byzer_engine.runtime.ets.registry import ETRegistry
from byzer_engine.runtime.jobs import JobInfo, JobRegistry, RunningJob
from byzer_engine.runtime.owner import OwnerSession, check_owner_name
from byzer_engine.runtime.paths import PathResolver
from byzer_engine.runtime.result import EMPTY_SCHEMA, Result, collect_rows, schema_of
from byzer_engine.runtime.sources.registry import SourceRegistry
from byzer_engine.runtime.spark_session import start_spark

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

FETCH_TYPES = ("collect", "take")
# The thread-local Spark property naming the FAIR scheduler pool of a thread's jobs: one per owner.
POOL_PROPERTY = "spark.scheduler.pool"


class Engine:
    """Runs Byzer scripts on Spark. Thread-safe: each ``run_script`` runs in its caller's thread."""

    def __init__(self, config: EngineConfig | None = None) -> None:
        self.config = config or EngineConfig.load()
        self.sources = SourceRegistry()
        self.ets = ETRegistry()
        self.jobs = JobRegistry(self._cancel_group, self._progress_of)
        self._spark: SparkSession | None = None
        self._owners: dict[str, OwnerSession] = {}
        self._job_sessions: dict[str, SparkSession] = {}
        self._lock = threading.RLock()
        self._closed = False

    @property
    def policy(self) -> Policy:
        """What this engine lets scripts do (code, shell, paths), from its configuration."""
        return Policy.from_config(self.config)

    # -- Spark ---------------------------------------------------------------------------------------
    @property
    def spark(self) -> SparkSession:
        """The root SparkSession, started on first use."""
        with self._lock:
            if self._closed:
                raise ByzerError("the engine is closed")
            if self._spark is None:
                Path(self.config.data_root).mkdir(parents=True, exist_ok=True)
                self._spark = start_spark(self.config)
            return self._spark

    def _new_session(self) -> SparkSession:
        if self.config.is_connect:
            from pyspark.sql import SparkSession

            return SparkSession.builder.remote(self.config.spark_master).create()
        return self.spark.newSession()

    def _cancel_group(self, group_id: str) -> None:
        spark = self._job_sessions.get(group_id)
        if self.config.is_connect:
            if spark is not None:
                spark.interruptTag(group_id)
            return
        self.spark.sparkContext.cancelJobGroup(group_id)

    def _progress_of(self, group_id: str) -> str:
        if self.config.is_connect or self._spark is None:
            return "0/0"
        tracker = self._spark.sparkContext.statusTracker()
        done = total = 0
        for job_id in tracker.getJobIdsForGroup(group_id):
            job = tracker.getJobInfo(job_id)
            if job is None:
                continue
            for stage_id in job.stageIds:
                stage = tracker.getStageInfo(stage_id)
                if stage is not None:
                    done += stage.numCompletedTasks
                    total += stage.numTasks
        return f"{done}/{total}"

    @contextmanager
    def _job_group(self, spark: SparkSession, job: RunningJob) -> Iterator[None]:
        """Tags every Spark job this thread starts with the job's group, so it can be cancelled."""
        self._job_sessions[job.group_id] = spark
        if self.config.is_connect:
            spark.addTag(job.group_id)
        else:
            description = f"{job.info.owner}: {job.info.job_name}"
            spark.sparkContext.setJobGroup(job.group_id, description, interruptOnCancel=True)
            spark.sparkContext.setLocalProperty(POOL_PROPERTY, job.info.owner)
        try:
            yield
        finally:
            self._job_sessions.pop(job.group_id, None)
            if self.config.is_connect:
                spark.removeTag(job.group_id)
            else:
                context = spark.sparkContext
                for key in (
                    "spark.jobGroup.id",
                    "spark.job.description",
                    "spark.job.interruptOnCancel",
                    POOL_PROPERTY,
                ):
                    context.setLocalProperty(key, None)  # type: ignore[arg-type]

    # -- owners --------------------------------------------------------------------------------------
    def home_of(self, owner: str) -> str:
        explicit = self.config.owner_homes.get(owner)
        home = explicit if explicit else str(Path(self.config.data_root) / check_owner_name(owner))
        return str(Path(home).expanduser().resolve())

    def owner_session(self, owner: str) -> OwnerSession:
        check_owner_name(owner)
        with self._lock:
            session = self._owners.get(owner)
            if session is None:
                session = OwnerSession(owner=owner, home=self.home_of(owner), spark=self._new_session())
                session.ensure_home()
                self._owners[owner] = session
            return session

    def session_for(self, owner: str) -> SparkSession:
        return self.owner_session(owner).spark

    def logout(self, owner: str) -> bool:
        """Drops the owner's session: temp views, cached tables, session variables and connections."""
        with self._lock:
            session = self._owners.pop(owner, None)
        if session is None:
            return False
        try:
            for table in session.spark.catalog.listTables():
                if table.isTemporary:
                    session.spark.catalog.dropTempView(table.name)
        except Exception:
            # The views die with the session object anyway; dropping them early only frees memory sooner.
            pass
        return True

    # -- scripts -------------------------------------------------------------------------------------
    def analyze(
        self, text: str, *, file: str = "<script>", spark_check: bool = False
    ) -> list[dict[str, Any]]:
        """The statements of a script; ``spark_check``: every SQL body must also parse in Spark."""
        from byzer_engine import lang

        if spark_check:
            from byzer_engine.runtime.spark_check import check_sql, session_parser

            statements_parsed = lang.parse_script(text, file=file)
            errors = check_sql(
                statements_parsed,
                session_parser(self.spark),
                lang.builtin_variables("admin", self.config.data_root),
            )
            if errors:
                raise errors[0]
        statements: list[dict[str, Any]] = lang.analyze(text, file=file)
        return statements

    def run_script(
        self,
        text: str,
        *,
        owner: str = "admin",
        variables: Mapping[str, str] | None = None,
        file: str = "<script>",
        job_name: str | None = None,
        job_type: str = "script",
        timeout_s: float | None = None,
        output_size: int | None = None,
        fetch_type: str = "collect",
        default_path_prefix: str | None = None,
        session_per_request: bool = False,
        skip_include: bool = False,
        on_message: Callable[[str], None] | None = None,
    ) -> Result:
        """Runs a script and returns its last table (see ``Result``); raises ``ByzerError`` subclasses."""
        from byzer_engine.runtime.executor.runner import ScriptRunner

        if fetch_type not in FETCH_TYPES:
            raise ByzerError(f"fetchType must be one of {', '.join(FETCH_TYPES)}, not {fetch_type!r}")
        owner_session = self.owner_session(owner)
        spark = self._new_session() if session_per_request else owner_session.spark
        resolver = PathResolver(owner_session.home, self.policy.allow_any_path, default_path_prefix)
        messages: list[str] = []

        def emit(message: str) -> None:
            messages.append(message)
            if on_message is not None:
                on_message(message)

        job = self.jobs.start(
            owner=owner, content=text, job_name=job_name, job_type=job_type, timeout_s=timeout_s
        )
        status = "failed"
        try:
            with self._job_group(spark, job):
                runner = ScriptRunner(
                    self, owner_session, spark, job, resolver, file=file, variables=variables, emit=emit
                )
                produced = runner.run(runner.parse(text, skip_include=skip_include))
                rows: list[dict[str, Any]] = []
                schema = dict(EMPTY_SCHEMA)
                if produced is not None:
                    try:
                        rows = collect_rows(produced.df, output_size)
                        schema = schema_of(produced.df)
                    except Exception as exc:
                        assert runner.result_statement is not None
                        raise runner.fail(exc, runner.result_statement) from exc
            status = "succeeded"
        except ByzerError as exc:
            status = {"killed": "killed", "timeout": "timeout"}.get(exc.kind, "failed")
            raise
        finally:
            self.jobs.finish(job, status)
        return Result(
            rows=rows,
            schema=schema,
            table_name=produced.table if produced is not None else None,
            job=job.info,
            messages=messages,
        )

    # -- jobs ----------------------------------------------------------------------------------------
    def running_jobs(self) -> list[JobInfo]:
        return self.jobs.running()

    def kill(self, *, job_name: str | None = None, group_id: str | None = None) -> bool:
        """Cancels a running job's Spark jobs and runs its on_cancel callbacks."""
        if job_name is None and group_id is None:
            raise ByzerError("kill needs a job name or a group id")
        return self.jobs.kill(job_name=job_name, group_id=group_id)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._owners.clear()
            spark, self._spark = self._spark, None
        if spark is not None:
            spark.stop()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
