"""``train|run|predict TABLE as ET.`PATH` [where ...] [as OUT];``"""

from __future__ import annotations

from byzer_engine.lang.statements import RunET
from byzer_engine.runtime.executor.handlers import handles
from byzer_engine.runtime.executor.state import Produced, ScriptState

COMMAND_TABLE = "command"
# The name an ET's output gets when the statement names none (so ``!lastCommand`` can find it).
UNNAMED_OUTPUT = "__last_command_output__"


@handles(RunET)
def run_et(state: ScriptState, statement: RunET) -> Produced | None:
    et = state.engine.ets.create(statement.et)
    # Table names are case-insensitive, as in Spark: `Run Command As ...` is the built-in table too.
    table = None if statement.table.lower() == COMMAND_TABLE else state.spark.table(statement.table)
    ctx = state.et_context(statement.verb)
    ctx.statement_span = statement.span
    df = et.run(ctx, table, statement.path, dict(statement.options))
    if df is None:
        return None
    name = statement.output or UNNAMED_OUTPUT
    df.createOrReplaceTempView(name)
    return Produced(name, df)
