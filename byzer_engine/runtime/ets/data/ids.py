"""UniqueIdentifier (consecutive ids in row order) and AutoIncrementKeyExt (unique, not consecutive)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime.ets.base import ET, ETContext, ETParam
from byzer_engine.runtime.ets.data._common import integer, need_table

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

SOURCES = ("new", "replace")
ID_TYPE = "long"


def consecutive_ids(df: DataFrame, start: int) -> Column:
    """Consecutive ids in row order, as Spark's ``zipWithIndex`` makes them but without leaving the JVM:
    one pass counts each partition's rows, then each row's id is its partition's offset plus its
    position in the partition (the low 33 bits of ``monotonically_increasing_id``)."""
    from pyspark.sql import functions as F

    counts = df.groupBy(F.spark_partition_id().alias("p")).count().collect()
    offsets: dict[int, int] = {}
    running = start
    for row in sorted(counts, key=lambda r: r["p"]):
        offsets[int(row["p"])] = running
        running += int(row["count"])
    if not offsets:
        return F.lit(start).cast("long")
    offset_map = F.create_map(*[F.lit(x) for pair in offsets.items() for x in pair])
    position = F.monotonically_increasing_id() - F.shiftleft(F.spark_partition_id().cast("long"), 33)
    return (offset_map[F.spark_partition_id()] + position).cast("long")


class UniqueIdentifier(ET):
    name = "UniqueIdentifier"
    alg_type = "undefined"
    doc = (
        "Numbers the rows: consecutive long ids from startIndex, in row order, in a new first column "
        "(source=new) or in place of an existing one (source=replace)."
    )
    params = (
        ETParam("source", "new: add the id column first; replace: overwrite that column", default="new",
                values=SOURCES),
        ETParam("columnName", "the id column", default="Unique_ID"),
        ETParam("startIndex", "the first id", default="1"),
        ETParam("mode", "inferSchema: return the (col_name, data_type) of the output of inputSchema instead"),
        ETParam("inputSchema", "with mode=inferSchema: a JSON list of {col_name, data_type}"),
    )  # fmt: skip
    example = (
        "select 'a' as name union all select 'b' as name as t;\n"
        'run t as UniqueIdentifier.`` where source="new" and columnName="id" as numbered;'
    )

    def run(self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]) -> DataFrame:
        source = options.get("source", "").strip() or "new"
        if source not in SOURCES:
            raise ByzerError(f"UniqueIdentifier: source must be new or replace, not {source!r}")
        column = options.get("columnName", "").strip() or "Unique_ID"
        start = integer(self, options, "startIndex", 1)
        if options.get("mode", "").strip() == "inferSchema":
            return self._infer_schema(ctx, options, source, column)
        from pyspark.sql import functions as F

        df = need_table(self, table)
        exists = column in df.columns
        if source == "new" and exists:
            raise ByzerError(f"UniqueIdentifier: column '{column}' already exists; use source=\"replace\"")
        ids = consecutive_ids(df, start)
        if exists:
            return df.select(*[ids.alias(column) if c == column else F.col(f"`{c}`") for c in df.columns])
        return df.select(ids.alias(column), "*")

    def _infer_schema(self, ctx: ETContext, options: dict[str, str], source: str, column: str) -> DataFrame:
        try:
            fields = json.loads(options.get("inputSchema", "") or "[]")
            pairs = [(str(f["col_name"]), str(f["data_type"])) for f in fields]
        except (ValueError, TypeError, KeyError):
            raise ByzerError(
                'UniqueIdentifier: inputSchema must be a JSON list of {"col_name": ..., "data_type": ...}'
            ) from None
        names = [name for name, _ in pairs]
        if source == "new" and column in names:
            raise ByzerError(f"UniqueIdentifier: column '{column}' already exists; use source=\"replace\"")
        if column in names:
            pairs = [(name, ID_TYPE if name == column else kind) for name, kind in pairs]
        else:
            pairs = [(column, ID_TYPE), *pairs]
        return ctx.spark.createDataFrame(pairs, "col_name string, data_type string")


class AutoIncrementKeyExt(ET):
    name = "AutoIncrementKeyExt"
    alg_type = "undefined"
    doc = (
        "Appends an `id` column of unique longs (increasing, not consecutive: they jump between partitions)."
    )
    params = ()
    example = "select 'a' as name as t;\nrun t as AutoIncrementKeyExt.`` as with_ids;"

    def run(self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]) -> DataFrame:
        from pyspark.sql import functions as F

        return need_table(self, table).withColumn("id", F.monotonically_increasing_id())
