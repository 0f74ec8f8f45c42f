"""``connect FORMAT where ... as ALIAS;``: stores options for later loads and saves of this owner."""

from __future__ import annotations

from byzer_engine.lang.statements import Connect
from byzer_engine.runtime.executor.handlers import handles
from byzer_engine.runtime.executor.state import NO_TABLE, NoTable, ScriptState


@handles(Connect)
def run_connect(state: ScriptState, statement: Connect) -> NoTable:
    with state.owner.lock:
        state.owner.connections[statement.alias] = {"format": statement.format, **statement.options}
    return NO_TABLE
