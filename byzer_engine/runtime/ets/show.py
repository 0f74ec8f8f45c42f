"""``!desc TABLE`` (ShowTableExt) and ``!show WHAT`` (ShowCommand)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from byzer_engine.runtime.ets.base import ET, ETContext, ETParam

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


class ShowTableExt(ET):
    name = "ShowTableExt"
    alg_type = "command"
    doc = "The columns of a table: col_name, data_type, comment (what !desc shows)."
    params = (ETParam("path", "the table to describe", required=True),)
    example = "select 1 as a as t;\n!desc t;"

    def run(self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]) -> DataFrame:
        schema = ctx.spark.table(path.strip()).schema
        rows = [(f.name, f.dataType.simpleString(), f.metadata.get("comment")) for f in schema.fields]
        return ctx.spark.createDataFrame(rows, "col_name string, data_type string, comment string")


class ShowCommand(ET):
    name = "ShowCommand"
    alg_type = "command"
    doc = "Engine state (what !show shows): tables, datasources, et, et/NAME, jobs, jobs/NAME, functions."
    params = (ETParam("path", "what to show, e.g. tables, jobs, et/NAME", required=True),)
    example = "!show et;\n!show jobs;"

    def run(self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]) -> DataFrame:
        from byzer_engine.runtime.sources.base import SourceContext
        from byzer_engine.runtime.sources.introspection import mlsql_table

        source_ctx = SourceContext(
            spark=ctx.spark,
            owner=ctx.owner,
            home=ctx.home,
            variables=ctx.variables,
            connections={},
            config=ctx.config,
            resolve_path=ctx.resolve_path,
            engine=ctx.engine,
        )
        return mlsql_table(source_ctx, path)
