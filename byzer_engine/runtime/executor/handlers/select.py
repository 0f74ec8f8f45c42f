"""``select ... as NAME;``: Spark SQL, named as a temp view."""

from __future__ import annotations

from byzer_engine.lang.statements import Select
from byzer_engine.runtime.executor.handlers import handles
from byzer_engine.runtime.executor.state import Produced, ScriptState


@handles(Select)
def run_select(state: ScriptState, statement: Select) -> Produced:
    df = state.sql(statement.sql)
    df.createOrReplaceTempView(statement.table)
    return Produced(statement.table, df)
