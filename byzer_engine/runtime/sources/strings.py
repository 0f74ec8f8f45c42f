"""Sources whose PATH names a script variable: ``jsonStr``, ``csvStr`` and ``script``.

``set data='''{"a": 1}''';  load jsonStr.`data` as t;``
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime.sources.base import DataSource, SourceContext
from byzer_engine.runtime.sources.files import reader_for

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def variable_text(ctx: SourceContext, name: str) -> str:
    name = name.strip()
    if name not in ctx.variables:
        raise ByzerError(f"variable '{name}' is not set (the path of this load names a variable)")
    return ctx.variables[name]


def _lines_table(ctx: SourceContext, records: list[str]) -> DataFrame:
    return ctx.spark.createDataFrame([(r,) for r in records], "value string")


def _json_records(text: str) -> list[str]:
    """One record when the text is a single JSON document (an array or a pretty-printed object),
    else one per non-empty line (JSON lines)."""
    stripped = text.strip()
    if not stripped:
        return []
    try:
        json.loads(stripped)
        return [stripped]
    except ValueError:
        return [line for line in stripped.splitlines() if line.strip()]


class JsonStrSource(DataSource):
    name = "jsonStr"
    doc = "JSON text held in a variable: JSON lines, one object, or an array of objects"
    path_is_file = False

    def load(self, ctx: SourceContext, path: str, options: dict[str, str]) -> DataFrame:
        records = _json_records(variable_text(ctx, path))
        if not records:
            return ctx.spark.createDataFrame([], "value string").select()
        return reader_for(ctx, options).json(_lines_table(ctx, records))


class CsvStrSource(DataSource):
    name = "csvStr"
    doc = "CSV text held in a variable (same options as csv)"
    path_is_file = False

    def load(self, ctx: SourceContext, path: str, options: dict[str, str]) -> DataFrame:
        options = dict(options)
        if "delimiter" in options and "sep" not in options:
            options["sep"] = options.pop("delimiter")
        lines = [line for line in variable_text(ctx, path).splitlines() if line.strip()]
        return reader_for(ctx, options).csv(_lines_table(ctx, lines))


class ScriptSource(DataSource):
    name = "script"
    doc = "the text of a variable as one row with one column, content"
    path_is_file = False

    def load(self, ctx: SourceContext, path: str, options: dict[str, str]) -> DataFrame:
        return ctx.spark.createDataFrame([(variable_text(ctx, path),)], "content string")
