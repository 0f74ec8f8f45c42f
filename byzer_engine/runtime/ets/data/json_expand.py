"""JsonExpandExt: a JSON string column becomes one column per top-level key (or one struct column)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime.ets.base import ET, ETContext, ETParam
from byzer_engine.runtime.ets.data._common import (
    empty_result,
    flag,
    is_predict,
    need_column,
    need_table,
    number,
    required,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


class JsonExpandExt(ET):
    name = "JsonExpandExt"
    alg_type = "feature engineer"
    doc = (
        "Expands a JSON string column into one string column per top-level key (sorted by name), "
        'after the other columns; with structColumn="true" the column becomes the parsed struct.'
    )
    params = (
        ETParam("inputCol", "the JSON string column to expand", required=True),
        ETParam("samplingRatio", "share of the rows used to infer the JSON schema", default="1.0"),
        ETParam("structColumn", "true: replace inputCol by the parsed struct (moved last)", default="false"),
    )
    example = (
        """select '{"city": "hangzhou", "country": "China"}' as col_1 as table_1;\n"""
        """run table_1 as JsonExpandExt.`` where inputCol="col_1" as expanded;"""
    )

    def run(self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]) -> DataFrame:
        if is_predict(ctx):
            return empty_result(ctx.spark)
        from pyspark.sql import functions as F

        df = need_table(self, table)
        column = required(self, options, "inputCol", 'e.g. inputCol="col_1", the JSON column')
        need_column(self, df, column, "inputCol")
        ratio = number(self, options, "samplingRatio", 1.0)
        values = df.select(F.col(f"`{column}`").cast("string").alias("value")).where("value is not null")
        schema = ctx.spark.read.option("samplingRatio", ratio).json(values.rdd.map(lambda row: row[0])).schema
        corrupt = ctx.spark.conf.get("spark.sql.columnNameOfCorruptRecord") or "_corrupt_record"
        if corrupt in schema.fieldNames():
            raise ByzerError(f"Corrupted JSON in column {column}")
        if flag(self, options, "structColumn", False):
            temp = "__json_" + uuid.uuid4().hex
            renamed = df.withColumnRenamed(column, temp)
            parsed = F.from_json(F.col(f"`{temp}`"), schema).alias(column)
            return renamed.select("*", parsed).drop(temp)
        keys = schema.fieldNames()
        if not keys:
            return df.drop(column)
        others = [c for c in df.columns if c != column]
        expanded = F.json_tuple(F.col(f"`{column}`"), *keys)
        return df.select(*[F.col(f"`{c}`") for c in others], expanded).toDF(*others, *keys)
