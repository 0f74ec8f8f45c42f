"""``load FORMAT.`PATH` [where ...] as NAME;``"""

from __future__ import annotations

from byzer_engine.lang.statements import Load
from byzer_engine.runtime.executor.handlers import handles
from byzer_engine.runtime.executor.state import Produced, ScriptState


def source_path(state: ScriptState, path_is_file: bool, path: str) -> str:
    """File paths resolve in the owner's home (each of a comma-separated list); others stay as written."""
    if not path_is_file or not path:
        return path
    return ",".join(state.resolve_path(p) for p in path.split(",") if p.strip())


@handles(Load)
def run_load(state: ScriptState, statement: Load) -> Produced:
    source = state.engine.sources.get(statement.format)
    path = source_path(state, source.path_is_file, statement.path)
    df = source.load(state.source_context(), path, state.options(dict(statement.options)))
    df.createOrReplaceTempView(statement.table)
    return Produced(statement.table, df)
