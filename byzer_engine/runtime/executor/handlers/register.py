"""``register ET.`PATH` as FUNCTION [where ...];``: the ET makes a SQL function.

The statement's table (Byzer's) is the model's explanation as (name, value) rows for a trained
model, else an empty (key, value) table; it is named like an unnamed ET output, for ``!lastCommand``.
"""

from __future__ import annotations

from byzer_engine.lang.statements import Register
from byzer_engine.runtime.executor.handlers import handles
from byzer_engine.runtime.executor.handlers.run_et import UNNAMED_OUTPUT
from byzer_engine.runtime.executor.state import Produced, ScriptState


@handles(Register)
def run_register(state: ScriptState, statement: Register) -> Produced:
    et = state.engine.ets.create(statement.et)
    ctx = state.et_context("register")
    options = dict(statement.options)
    et.register(ctx, statement.path, statement.function, options)
    rows = et.register_table(ctx, statement.path, options)
    schema = "name string, value string" if rows else "key string, value string"
    df = state.spark.createDataFrame(rows, schema)
    df.createOrReplaceTempView(UNNAMED_OUTPUT)
    return Produced(UNNAMED_OUTPUT, df)
