"""Explaining statements: what each would do, with Spark's plan and its LLM calls' estimates.

Explain runs only what is lazy and private to the explaining script, so that later statements can
refer to earlier ones: loads and selects become views, literal ``set``s and ``connect``s take effect
— in a copy of the owner's session (``sandbox``), so none of the owner's views or variables change.
Everything that computes or writes (save, train/run/predict, register, insert/create/drop, ``set``
of type sql/shell) is described, not run; for a save or an ET, the table it would read is explained,
since that is where its LLM calls run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from typing import TYPE_CHECKING, Any

from byzer_engine.lang.statements import (
    Connect,
    Explain,
    Include,
    Load,
    Macro,
    RawSql,
    Register,
    RunET,
    Save,
    Select,
    SetVar,
    Statement,
)
from byzer_engine.runtime.explain.calls import CallEstimate, estimate_calls
from byzer_engine.runtime.explain.plans import plan_text, python_calls

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from byzer_engine.runtime.executor.state import ScriptState

# Set types explain evaluates (they only store a value); sql and shell run something.
_SAFE_SET_TYPES = ("text", "defaultParam", "conf")
_STATEMENT_CHARS = 300
_PLANNING_ERROR = "Error occurred during query planning"


@dataclass(frozen=True)
class ExplainRow:
    """One row of the explain table: a statement (``function`` empty) or one function call in it."""

    step: int
    line: int
    kind: str
    statement: str
    action: str
    plan: str | None = None
    function: str | None = None
    model: str | None = None
    rows: int | None = None
    requests: int | None = None
    distinct_requests: int | None = None
    cached: int | None = None
    to_compute: int | None = None
    input_tokens: int | None = None
    seconds: float | None = None
    note: str | None = None


_TYPES = {
    "step": "int",
    "line": "int",
    "rows": "bigint",
    "requests": "bigint",
    "distinct_requests": "bigint",
    "cached": "bigint",
    "to_compute": "bigint",
    "input_tokens": "bigint",
    "seconds": "double",
}
EXPLAIN_SCHEMA = ", ".join(f"`{f.name}` {_TYPES.get(f.name, 'string')}" for f in fields(ExplainRow))


def sandbox(spark: SparkSession) -> SparkSession:
    """A copy of ``spark``'s session (its views, functions and confs as they are now) that the
    explaining script may change freely."""
    cloned = spark._jsparkSession.cloneSession()  # type: ignore[attr-defined]
    copy = type(spark)(spark.sparkContext, cloned)  # type: ignore[call-arg]
    for name in ("_byzer_database", "_byzer_databases"):
        if hasattr(spark, name):
            setattr(copy, name, getattr(spark, name))
    return copy


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "message", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class Explainer:
    """Collects the explain rows of the statements given to ``explain``, in order."""

    def __init__(self, state: ScriptState, *, mode: str = "", run_safe: bool = True) -> None:
        self.state = state
        self.mode = mode
        # False for ``explain STATEMENT;``: the statement is only described, nothing at all runs.
        self.run_safe = run_safe
        self.rows: list[ExplainRow] = []
        self._step = 0
        self._handlers: dict[type[Statement], Callable[[Any], str]] = {
            Select: self._select,
            Load: self._load,
            SetVar: self._set,
            Connect: self._connect,
            Save: self._save,
            RunET: self._run_et,
            Register: self._register,
            RawSql: self._raw_sql,
            Include: self._include,
            Macro: self._macro,
            Explain: self._explain,
        }
        self._current: Statement | None = None

    # -- the table ---------------------------------------------------------------------------------
    def table(self) -> DataFrame:
        spark = self.state.spark
        return spark.createDataFrame([tuple(asdict(r).values()) for r in self.rows], EXPLAIN_SCHEMA)

    def explain(self, statement: Statement) -> None:
        handler = self._handlers.get(type(statement))
        self._step += 1
        self._current = statement
        self._plan: str | None = None
        self._calls: list[CallEstimate] = []
        note = None
        try:
            action = handler(statement) if handler is not None else f"{statement.kind} (not run by explain)"
        except Exception as exc:
            action, note = f"{statement.kind} (cannot be explained: see the note)", _first_line(exc)
        span = statement.span
        raw = span.raw if len(span.raw) <= _STATEMENT_CHARS else span.raw[:_STATEMENT_CHARS] + "..."
        head = ExplainRow(
            step=self._step,
            line=span.line,
            kind=statement.kind,
            statement=raw,
            action=action,
            plan=self._plan,
            note=note,
        )
        self.rows.append(head)
        for call in self._calls:
            self.rows.append(replace(head, action=f"calls {call.function}", plan=None, **asdict(call)))

    # -- queries -----------------------------------------------------------------------------------
    def _query(self, df: DataFrame) -> None:
        """The plan of ``df`` and estimates of the function calls in it (none runs)."""
        from byzer_engine.runtime.sources.atomic import has_jvm

        if not has_jvm(self.state.spark):
            rows = self.state.spark.sql(f"EXPLAIN {self.mode.upper()} {self._sql_of(df)}").collect()
            self._plan = str(rows[0][0]).strip() if rows else None
            return
        self._plan = plan_text(df, self.mode)
        self._calls = estimate_calls(python_calls(df))

    def _sql_of(self, df: DataFrame) -> str:
        current = self._current
        if isinstance(current, Select):
            return self.state.check_sql(current.sql)
        raise ValueError("on Spark Connect, explain shows the plans of selects only")

    def _select(self, statement: Select) -> str:
        df = self.state.sql(statement.sql)
        self._query(df)
        if statement.table and self.run_safe:
            df.createOrReplaceTempView(statement.table)
            return f"defines view {statement.table}"
        return f"query (would be view {statement.table})" if statement.table else "query"

    def _table(self, name: str) -> None:
        self._query(self.state.spark.table(name))

    # -- statements that stay lazy ---------------------------------------------------------------
    def _load(self, statement: Load) -> str:
        action = f"loads {statement.format}.`{statement.path}` as {statement.table}"
        if not self.run_safe:
            return action + " (not run by explain)"
        from byzer_engine.runtime.executor.handlers.load import run_load

        produced = run_load(self.state, statement)
        self._query(produced.df)
        return action

    def _set(self, statement: SetVar) -> str:
        safe = statement.set_type in _SAFE_SET_TYPES and statement.scope != "session"
        if not (self.run_safe and safe):
            return f"sets {statement.key} (not evaluated by explain)"
        from byzer_engine.runtime.executor.handlers.set_var import run_set

        run_set(self.state, statement)
        return f"sets {statement.key}"

    def _connect(self, statement: Connect) -> str:
        if not self.run_safe:
            return f"connects {statement.alias} (not run by explain)"
        from byzer_engine.runtime.executor.handlers.connect import run_connect

        run_connect(self.state, statement)
        return f"connects {statement.alias}"

    # -- statements that compute or write: described ----------------------------------------------
    def _save(self, statement: Save) -> str:
        self._table(statement.table)
        return (
            f"saves {statement.table} ({statement.mode.value}) as {statement.format}.`{statement.path}`"
            " (not run by explain; the plan is of the table it would write)"
        )

    def _run_et(self, statement: RunET) -> str:
        action = (
            f"{statement.verb} {statement.table} as {statement.et}.`{statement.path}` (not run by explain)"
        )
        if statement.table != "command":
            self._table(statement.table)
        return action

    def _register(self, statement: Register) -> str:
        return f"registers {statement.function} from {statement.et}.`{statement.path}` (not run by explain)"

    def _raw_sql(self, statement: RawSql) -> str:
        checked = self.state.check_sql(statement.sql)
        self._plan = self._spark_explain(checked, self.mode)
        if self._plan.startswith(_PLANNING_ERROR):
            # Spark's short form hides the cause; the extended one names it in the analyzed plan.
            extended = self._spark_explain(checked, "extended")
            cause = next((line for line in extended.splitlines() if "Exception:" in line), None)
            if cause is not None:
                raise ValueError(cause.split("Exception:", 1)[1].strip())
        return f"{statement.verb} (not run by explain)"

    def _spark_explain(self, sql: str, mode: str) -> str:
        rows = self.state.spark.sql(f"EXPLAIN {mode.upper()} {sql}").collect()
        return str(rows[0][0]).strip() if rows else ""

    def _include(self, statement: Include) -> str:
        return f"includes {statement.type}.`{statement.path}` (not expanded by explain)"

    def _macro(self, statement: Macro) -> str:
        return f"!{statement.name} (not run by explain)"

    def _explain(self, statement: Explain) -> str:
        if statement.target is None:
            return "explains the statements after it"
        inner = Explainer(self.state, mode=statement.mode or self.mode, run_safe=False)
        inner.explain(statement.target)
        first = inner.rows[0]
        self._plan = first.plan
        self._calls = [
            CallEstimate(**{k: getattr(r, k) for k in CallEstimate.__dataclass_fields__})  # type: ignore[arg-type]
            for r in inner.rows[1:]
        ]
        return first.action
