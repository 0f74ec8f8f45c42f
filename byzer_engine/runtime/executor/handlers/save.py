"""``save [MODE] TABLE as FORMAT.`PATH` [where ...] [partitionBy ...];``"""

from __future__ import annotations

from byzer_engine.lang.errors import ByzerError
from byzer_engine.lang.statements import Save
from byzer_engine.runtime.executor.handlers import handles
from byzer_engine.runtime.executor.handlers.load import source_path
from byzer_engine.runtime.executor.state import NO_TABLE, NoTable, ScriptState

# Options the engine consumes; the rest go to the source.
_ENGINE_OPTIONS = ("fileNum",)


@handles(Save)
def run_save(state: ScriptState, statement: Save) -> NoTable:
    source = state.engine.sources.get(statement.format)
    path = source_path(state, source.path_is_file, statement.path)
    df = state.spark.table(statement.table)
    options = state.options({k: v for k, v in statement.options.items() if k not in _ENGINE_OPTIONS})
    file_num = statement.options.get("fileNum")
    if file_num:
        try:
            df = df.repartition(int(file_num))
        except ValueError as exc:
            raise ByzerError(f"fileNum must be a number, not {file_num!r}") from exc
    state.job.calls.watch(state.spark, df)
    source.save(state.source_context(), df, path, statement.mode.value, options, statement.partition_by)
    return NO_TABLE
