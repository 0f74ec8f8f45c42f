"""EmptyTable (no rows, no columns) and EmptyTableWithSchema (no rows, the given columns)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime.ets.base import ET, ETContext, ETParam
from byzer_engine.runtime.ets.data._common import required
from byzer_engine.runtime.ets.data._schema import parse_schema

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

FILE_PREFIX = "file:"


class EmptyTable(ET):
    name = "EmptyTable"
    alg_type = "undefined"
    doc = "A table with no rows and no columns (what !emptyTable makes)."
    params = ()
    example = "!emptyTable;\nrun command as EmptyTable.`` as nothing;"

    def run(self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]) -> DataFrame:
        from pyspark.sql.types import StructType

        return ctx.spark.createDataFrame([], StructType([]))


class EmptyTableWithSchema(ET):
    name = "EmptyTableWithSchema"
    alg_type = "undefined"
    doc = (
        "A table with no rows and the columns of `schema`: st(field(name,type),...), Spark's JSON schema, "
        "a DDL string (`a string, b int`), or file:PATH naming a file that holds one of those."
    )
    params = (ETParam("schema", "the columns: st(...), JSON, DDL or file:PATH", required=True),)
    example = (
        "run command as EmptyTableWithSchema.`` "
        "where schema='''st(field(content,binary),field(status,integer))''' as empty_response;"
    )

    def run(self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]) -> DataFrame:
        text = required(self, options, "schema")
        if text.startswith(FILE_PREFIX):
            given = text.strip()
            location = ctx.resolve_path(given if given.startswith("file://") else given[len(FILE_PREFIX) :])
            location = location[len("file://") :] if location.startswith("file://") else location
            try:
                text = Path(location).read_text(encoding="utf-8")
            except OSError as exc:
                raise ByzerError(
                    f"EmptyTableWithSchema: cannot read the schema file {location}: {exc}"
                ) from None
        return ctx.spark.createDataFrame([], parse_schema(text))
