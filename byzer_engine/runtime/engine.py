"""``Engine``: one SparkSession, per-owner sessions, and ``run_script`` (the API under CLI and server)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from byzer_engine.lang import render_budget
from byzer_engine.lang.errors import ByzerError, ByzerJobKilled, ByzerTimeout
from byzer_engine.policy import Policy
from byzer_engine.runtime.config import EngineConfig
from byzer_engine.runtime.driver import SparkDriverLost, driver_exit_code, forget_dead_driver, jvm_alive
from byzer_engine.runtime.ets.registry import ETRegistry
from byzer_engine.runtime.functions.registry import FunctionRegistry
from byzer_engine.runtime.jobs import JobInfo, JobRegistry, RunningJob
from byzer_engine.runtime.owner import OwnerSession, check_owner_name
from byzer_engine.runtime.paths import PathResolver
from byzer_engine.runtime.result import EMPTY_SCHEMA, Result, collect_rows, schema_of
from byzer_engine.runtime.sources.path_locks import script_reads
from byzer_engine.runtime.sources.registry import SourceRegistry
from byzer_engine.runtime.spark_session import start_spark
from byzer_engine.runtime.sql_guard import SqlGuard
from byzer_engine.runtime.stuck_tasks import StuckTaskWatch, stages_of_group

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from byzer_engine.lang.statements import Statement

FETCH_TYPES = ("collect", "take")
# The thread-local Spark property naming the FAIR scheduler pool of a thread's jobs: one per owner.
POOL_PROPERTY = "spark.scheduler.pool"
# The job's name, as Spark tasks see it (LLM functions record their usage under it).
JOB_NAME_PROPERTY = "byzer.job.name"


class Engine:
    """Runs Byzer scripts on Spark. Thread-safe: each ``run_script`` runs in its caller's thread."""

    def __init__(self, config: EngineConfig | None = None) -> None:
        self.config = config or EngineConfig.load()
        self.sources = SourceRegistry()
        self.ets = ETRegistry()
        self.functions = FunctionRegistry()
        self.jobs = JobRegistry(self._cancel_group, self._progress_of)
        # Every SQL text a script hands to Spark is checked against the policy first.
        self.sql_guard = SqlGuard()
        # Rewrites of SQL texts before the check (plugins whose functions need one, e.g. the LLM
        # functions typed by an argument); each is idempotent on its own output.
        self._sql_rewriters: list[Callable[[str], str]] = []
        self._spark: SparkSession | None = None
        self._owners: dict[str, OwnerSession] = {}
        self._job_sessions: dict[str, SparkSession] = {}
        self._database_names: Any = None  # catalog_scope.DatabaseNames, with owners isolated
        # How often the Spark driver died and was started again, and the owners whose session died.
        self.driver_restarts = 0
        self._lost_owners: set[str] = set()
        self._lock = threading.RLock()
        self._closed = False
        self._stuck = StuckTaskWatch(self.config.stuck_task_grace_s, self._end_driver)

    def add_sql_rewriter(self, rewrite: Callable[[str], str]) -> None:
        """Adds ``rewrite`` to what every script's SQL goes through before its check (once)."""
        with self._lock:
            if rewrite not in self._sql_rewriters:
                self._sql_rewriters.append(rewrite)

    def rewrite_sql(self, sql: str) -> str:
        for rewrite in list(self._sql_rewriters):
            sql = rewrite(sql)
        return sql

    @property
    def policy(self) -> Policy:
        """What this engine lets scripts do (code, shell, paths), from its configuration."""
        return Policy.from_config(self.config)

    # -- Spark ---------------------------------------------------------------------------------------
    @property
    def spark(self) -> SparkSession:
        """The root SparkSession, started on first use, and started again if its JVM died."""
        with self._lock:
            if self._closed:
                raise ByzerError("the engine is closed")
            if self._spark is not None and not jvm_alive(self._spark):
                self._drop_dead_driver()
            if self._spark is None:
                Path(self.config.data_root).mkdir(parents=True, exist_ok=True)
                self._spark = start_spark(self.config)
            return self._spark

    def driver_alive(self) -> bool:
        """Whether the Spark driver is up (or not started yet): no JVM call, safe on any thread."""
        return jvm_alive(self._spark)

    def _drop_dead_driver(self) -> None:
        """Forgets a dead driver and every owner session on it; the next use starts a new one."""
        with self._lock:
            dead, self._spark = self._spark, None
            if dead is None:
                return
            self.driver_restarts += 1
            self._lost_owners.update(self._owners)
            self._owners.clear()
            self._database_names = None
        forget_dead_driver(dead)

    def restart_driver_if_dead(self) -> bool:
        """Starts a new driver when the current one died; True when it did."""
        if self._spark is None or jvm_alive(self._spark):
            return False
        self.spark  # noqa: B018 - restarts it
        return True

    def _new_session(self, owner: str | None = None) -> SparkSession:
        if self.config.is_connect:
            from pyspark.sql import SparkSession

            return SparkSession.builder.remote(self.config.spark_master).create()
        if owner is not None and self.config.isolate_owners:
            from byzer_engine.runtime.catalog_scope import DatabaseNames, scoped_session

            root = self.spark
            with self._lock:
                if self._database_names is None:
                    self._database_names = DatabaseNames(
                        lambda: [d.name for d in root.catalog.listDatabases()]
                    )
                names = self._database_names
            location = str(Path(self.home_of(owner)) / "_catalog")
            return scoped_session(root, owner, location, names)
        return self.spark.newSession()

    def _cancel_group(self, group_id: str) -> None:
        spark = self._job_sessions.get(group_id)
        if self.config.is_connect:
            if spark is not None:
                spark.interruptTag(group_id)
            return
        spark = self.spark
        # Tasks run as threads of the driver in local mode: there a task that ignores the cancel is seen.
        stages = stages_of_group(spark, group_id) if self.config.is_local else set()
        spark.sparkContext.cancelJobGroup(group_id)
        self._stuck.cancelled(spark, group_id, stages)

    def _end_driver(self, reason: str) -> None:
        """Ends the driver JVM (it cannot stop its tasks); the next use of ``spark`` starts a new one."""
        with self._lock:
            spark = self._spark
        context: Any = getattr(spark, "_sc", None)
        proc: Any = getattr(getattr(context, "_gateway", None), "proc", None)
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(timeout=60)

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
            spark.sparkContext.setLocalProperty(JOB_NAME_PROPERTY, job.info.job_name)
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
                    JOB_NAME_PROPERTY,
                ):
                    context.setLocalProperty(key, None)  # type: ignore[arg-type]

    # -- owners --------------------------------------------------------------------------------------
    def home_of(self, owner: str) -> str:
        explicit = self.config.owner_homes.get(owner)
        home = explicit if explicit else str(Path(self.config.data_root) / check_owner_name(owner))
        return str(Path(home).expanduser().resolve())

    def owner_session(self, owner: str) -> OwnerSession:
        check_owner_name(owner)
        if not self.config.is_connect:
            self.spark  # noqa: B018 - a dead driver is replaced (and its sessions dropped) first
        with self._lock:
            session = self._owners.get(owner)
            if session is None:
                spark = self._new_session(owner)
                # Byzer's built-in SQL functions (vec_dense, aes_encrypt ...) exist in every owner session.
                self.functions.register_all(spark)
                session = OwnerSession(owner=owner, home=self.home_of(owner), spark=spark)
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
        statements: Sequence[Statement] | None = None,
        on_table: Callable[[DataFrame], None] | None = None,
        explain: bool = False,
    ) -> Result:
        """Runs a script and returns its last table (see ``Result``); raises ``ByzerError`` subclasses.

        ``statements``: the script already parsed by the caller (``lang.parse_script`` of ``text``, as
        ``byzer run`` does before the JVM starts), so it is not parsed twice.

        ``explain``: explain the script instead (``runtime.explain``): its result is the explain table,
        and no statement that computes or writes runs.

        With ``on_table``, the last table is not collected: ``on_table`` gets its DataFrame while the
        job still runs (so a kill or a timeout stops what it does with it) and ``Result.rows`` is empty.
        """
        if fetch_type not in FETCH_TYPES:
            raise ByzerError(f"fetchType must be one of {', '.join(FETCH_TYPES)}, not {fetch_type!r}")
        spark_before = self._spark
        try:
            return self._run_script(
                text,
                owner=owner,
                variables=variables,
                file=file,
                job_name=job_name,
                job_type=job_type,
                timeout_s=timeout_s,
                output_size=output_size,
                fetch_type=fetch_type,
                default_path_prefix=default_path_prefix,
                session_per_request=session_per_request,
                skip_include=skip_include,
                on_message=on_message,
                statements=statements,
                on_table=on_table,
                explain=explain,
            )
        except Exception as exc:
            # The session the script ran on: the one it found, else the one it started. A restart
            # may already have put a live session in its place by now.
            used = [s for s in (spark_before, self._spark) if s is not None]
            dead = next((s for s in used if not jvm_alive(s)), None)
            if dead is None:
                raise
            code = driver_exit_code(dead)
            how = f" (its JVM exited with {code})" if code is not None else ""
            raise SparkDriverLost(
                f"the Spark driver stopped while this script ran{how}; the engine is starting a new "
                f"one, and owner '{owner}''s temporary views and session variables are gone: run the "
                "script again"
            ) from exc

    def _run_script(
        self,
        text: str,
        *,
        owner: str,
        variables: Mapping[str, str] | None,
        file: str,
        job_name: str | None,
        job_type: str,
        timeout_s: float | None,
        output_size: int | None,
        fetch_type: str,
        default_path_prefix: str | None,
        session_per_request: bool,
        skip_include: bool,
        on_message: Callable[[str], None] | None,
        statements: Sequence[Statement] | None,
        on_table: Callable[[DataFrame], None] | None,
        explain: bool = False,
    ) -> Result:
        from byzer_engine.runtime.executor.runner import ScriptRunner

        owner_session = self.owner_session(owner)
        if owner in self._lost_owners:
            self._lost_owners.discard(owner)
            message = "the Spark driver was restarted: this owner's earlier views and variables are gone"
            if on_message is not None:
                on_message(message)
        spark = owner_session.spark
        if session_per_request:
            spark = self._new_session(owner)
            self.functions.register_all(spark)
        resolver = PathResolver(
            owner_session.home,
            self.policy.allow_any_path,
            default_path_prefix,
            rooted=self.config.rooted_paths,
        )
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
            with (
                self._job_group(spark, job),
                render_budget.using(self._render_budget(job)),
                script_reads(self._cancel_check(job)),
            ):
                runner = ScriptRunner(
                    self, owner_session, spark, job, resolver, file=file, variables=variables, emit=emit
                )
                if statements is None:
                    parsed = runner.parse(text, skip_include=skip_include)
                else:
                    runner.lines, parsed = text.splitlines(), list(statements)
                if explain:
                    runner.explain_all()
                produced = runner.run(parsed)
                rows: list[dict[str, Any]] = []
                schema = dict(EMPTY_SCHEMA)
                if produced is not None:
                    try:
                        job.calls.watch(spark, produced.df)
                        if on_table is not None:
                            on_table(produced.df)
                        else:
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

    def _render_budget(self, job: RunningJob) -> render_budget.RenderBudget:
        """Template bounds from the configuration; a killed or timed-out job stops its templates too."""
        limits = render_budget.RenderLimits(
            seconds=self.config.template_budget_s,
            max_chars=self.config.template_max_chars,
            max_iterations=self.config.template_max_iterations,
        )
        return render_budget.RenderBudget(limits, self._cancel_check(job))

    @staticmethod
    def _cancel_check(job: RunningJob) -> Callable[[], None]:
        """A function that raises once ``job`` was killed or timed out (for loops outside Spark)."""

        def check() -> None:
            reason = job.cancel_reason
            if reason == "killed":
                raise ByzerJobKilled(f"job '{job.info.job_name}' was killed")
            if reason is not None:
                raise ByzerTimeout(f"job '{job.info.job_name}' ran past its timeout")

        return check

    # -- jobs ----------------------------------------------------------------------------------------
    def running_jobs(self, owners: Collection[str] | None = None) -> list[JobInfo]:
        """Jobs in flight: all of them, or only those of ``owners``."""
        return self.jobs.running(owners)

    def kill(
        self,
        *,
        job_name: str | None = None,
        group_id: str | None = None,
        owners: Collection[str] | None = None,
    ) -> bool:
        """Cancels a running job's Spark jobs and runs its on_cancel callbacks.

        With ``owners``, only a job of one of them is found; another owner's job is not there.
        """
        if job_name is None and group_id is None:
            raise ByzerError("kill needs a job name or a group id")
        return self.jobs.kill(job_name=job_name, group_id=group_id, owners=owners)

    def owners_visible_to(self, owner: str) -> frozenset[str] | None:
        """Whose jobs a script of ``owner`` may list or kill: its own when owners are isolated."""
        return frozenset((owner,)) if self.config.isolate_owners else None

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
