"""TableRepartition and RepartitionExt: a table with another number of partitions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime.ets.base import ET, ETContext, ETParam
from byzer_engine.runtime.ets.data._common import flag, integer, need_column, need_table

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

PARTITION_TYPES = ("hash", "range")


def _partition_num(et: ET, options: dict[str, str]) -> int:
    count = integer(et, options, "partitionNum")
    if count < 1:
        raise ByzerError(f"{et.name}: partitionNum must be at least 1, not {count}")
    return count


class TableRepartition(ET):
    name = "TableRepartition"
    alg_type = "undefined"
    doc = (
        "Repartitions a table: partitionNum partitions, by hash (optionally of partitionCols) or by range "
        'of partitionCols; shuffle="false" only merges partitions (coalesce).'
    )
    params = (
        ETParam("partitionNum", "the number of partitions", required=True),
        ETParam("partitionType", "hash or range", default="hash", values=PARTITION_TYPES),
        ETParam("partitionCols", "comma-separated columns to partition by (required for range)"),
        ETParam("shuffle", "false: coalesce to fewer partitions without a shuffle", default="true"),
    )
    example = (
        "select id from range(100) as t;\n"
        'run t as TableRepartition.`` where partitionNum="3" as t2;\n'
        "!tableRepartition _ -i t -num 3 -o t3;"
    )

    def run(self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]) -> DataFrame:
        from pyspark.sql import functions as F

        df = need_table(self, table)
        count = _partition_num(self, options)
        kind = options.get("partitionType", "").strip() or "hash"
        if kind not in PARTITION_TYPES:
            raise ByzerError(f"TableRepartition: partitionType must be hash or range, not {kind!r}")
        columns = [c.strip() for c in options.get("partitionCols", "").split(",") if c.strip()]
        for column in columns:
            need_column(self, df, column, "partitionCols")
        cols = [F.col(f"`{c}`") for c in columns]
        if not flag(self, options, "shuffle", True):
            return df.coalesce(count)
        if kind == "range":
            if not cols:
                raise ByzerError("TableRepartition: partitionCols is required when partitionType is range")
            return df.repartitionByRange(count, *cols)
        return df.repartition(count, *cols)


class RepartitionExt(ET):
    name = "RepartitionExt"
    alg_type = "undefined"
    doc = "Repartitions a table into partitionNum partitions (a hash shuffle)."
    params = (ETParam("partitionNum", "the number of partitions", required=True),)
    example = 'select id from range(100) as t;\nrun t as RepartitionExt.`` where partitionNum="2" as t2;'

    def run(self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]) -> DataFrame:
        return need_table(self, table).repartition(_partition_num(self, options))
