"""``insert`` / ``create`` / ``drop`` / ``refresh``: handed to Spark SQL as written."""

from __future__ import annotations

from byzer_engine.lang.statements import RawSql
from byzer_engine.runtime.executor.handlers import handles
from byzer_engine.runtime.executor.state import NO_TABLE, NoTable, ScriptState


@handles(RawSql)
def run_raw_sql(state: ScriptState, statement: RawSql) -> NoTable:
    # Commands run eagerly in Spark; collecting makes sure of it for every statement kind.
    state.sql(statement.sql).collect()
    return NO_TABLE
