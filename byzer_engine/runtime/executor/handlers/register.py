"""``register ET.`PATH` as FUNCTION [where ...];``: the ET makes a SQL function."""

from __future__ import annotations

from byzer_engine.lang.statements import Register
from byzer_engine.runtime.executor.handlers import handles
from byzer_engine.runtime.executor.state import ScriptState


@handles(Register)
def run_register(state: ScriptState, statement: Register) -> None:
    et = state.engine.ets.create(statement.et)
    et.register(state.et_context("register"), statement.path, statement.function, dict(statement.options))
    return None
