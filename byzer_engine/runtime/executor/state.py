"""The state of one running script, handed to every statement handler."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from byzer_engine.runtime.ets.base import ETContext
from byzer_engine.runtime.sources.base import SourceContext

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from byzer_engine.runtime.engine import Engine
    from byzer_engine.runtime.jobs import RunningJob
    from byzer_engine.runtime.owner import OwnerSession
    from byzer_engine.runtime.paths import PathResolver


@dataclass(frozen=True)
class Produced:
    """A statement made a table: it becomes the script's result unless a later statement changes that."""

    table: str
    df: DataFrame


@dataclass(frozen=True)
class NoTable:
    """A statement that ends the run of tables (save, connect, insert, ...): the result is [] unless
    a later statement makes a table."""


NO_TABLE = NoTable()
# ``None``: the statement leaves the result as it was (set, register, !println, branches).
Outcome = Produced | NoTable | None


@dataclass
class ScriptState:
    engine: Engine
    owner: OwnerSession
    spark: SparkSession
    job: RunningJob
    variables: Any  # byzer_engine.lang.VariableTable
    file: str
    resolver: PathResolver
    emit: Callable[[str], None]
    # The table made by the most recent table-producing statement (``!lastCommand``).
    last_table: str | None = None
    # The script's result so far.
    result: Produced | None = None
    # Values set by ``select ... as :x`` inside ``!if`` conditions.
    condition_values: dict[str, Any] = field(default_factory=dict)
    # Cleanups run when the script ends (``!cache T script``).
    cleanups: list[Callable[[], None]] = field(default_factory=list)
    # Set by ``!explain;`` / ``executeMode=explain``: statements are explained instead of run
    # (``runtime.explain.script.Explainer``).
    explainer: Any = None

    def resolved_variables(self) -> dict[str, str]:
        resolved: dict[str, str] = self.variables.resolved()
        return resolved

    def resolve_path(self, path: str) -> str:
        return self.resolver.resolve(path)

    def check_sql(self, sql: str) -> str:
        """The policy's check of SQL about to run (see ``runtime/sql_guard.py``): the SQL to run."""
        sql = self.engine.rewrite_sql(sql)
        return self.engine.sql_guard.check(self.spark, sql, self.engine.policy, self.resolve_path)

    def sql(self, sql: str) -> DataFrame:
        """Spark SQL, once the policy has checked it."""
        return self.spark.sql(self.check_sql(sql))

    def options(self, options: dict[str, str]) -> dict[str, str]:
        """Statement options with path-valued options (``path``, ``paths`` ...) resolved in the home."""
        return self.engine.policy.path_options(options, self.resolve_path)

    def source_context(self) -> SourceContext:
        return SourceContext(
            spark=self.spark,
            owner=self.owner.owner,
            home=self.owner.home,
            variables=self.resolved_variables(),
            connections=self.owner.connections,
            config=self.engine.config,
            resolve_path=self.resolve_path,
            engine=self.engine,
        )

    def et_context(self, verb: str) -> ETContext:
        return ETContext(
            spark=self.spark,
            owner=self.owner.owner,
            home=self.owner.home,
            job_name=self.job.info.job_name,
            group_id=self.job.group_id,
            verb=verb,
            variables=self.resolved_variables(),
            owner_state=self.owner.state,
            config=self.engine.config,
            last_table=self.last_table,
            on_cancel=self.job.on_cancel,
            resolve_path=self.resolve_path,
            engine=self.engine,
            emit=self.emit,
            at_script_end=self.cleanups.append,
            check_sql=self.check_sql,
        )
