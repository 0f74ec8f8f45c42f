"""``load hive.`db.table` `` and ``save overwrite|append T as hive.`db.table` [partitionBy c]``.

Tables live in Spark's session catalog: with ``hive_support`` on, Spark's built-in Hive catalog with
an embedded metastore under the data root (or the external one named by ``hive_metastore_uris``),
so they outlive the engine; with it off, Spark's in-memory catalog (tables last as long as the
engine). ``overwrite`` replaces a table's rows and keeps its definition (columns, format,
partitioning); saving to a table that does not exist creates it (``fileFormat``, default parquet).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from byzer_engine.lang.errors import ByzerError, ByzerRuntimeError
from byzer_engine.runtime.sources.base import DataSource, SourceContext

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def _table_name(path: str) -> str:
    name = path.strip().strip("`")
    if not name or len(name.split(".")) > 2 or any(not part for part in name.split(".")):
        raise ByzerError(f"hive: '{path}' is not a table name (write hive.`db.table` or hive.`table`)")
    return ".".join(f"`{part}`" for part in name.split("."))


class HiveSource(DataSource):
    name = "hive"
    doc = "Tables of Spark's catalog (Hive metastore with hive_support): db.table; save modes, partitionBy"
    path_is_file = False

    def load(self, ctx: SourceContext, path: str, options: dict[str, str]) -> DataFrame:
        table = _table_name(path)
        if not ctx.spark.catalog.tableExists(table.replace("`", "")):
            raise ByzerRuntimeError(f"hive: table {path} does not exist")
        return ctx.spark.table(table)

    def save(
        self,
        ctx: SourceContext,
        df: DataFrame,
        path: str,
        mode: str,
        options: dict[str, str],
        partition_by: tuple[str, ...],
    ) -> None:
        table = _table_name(path)
        plain = table.replace("`", "")
        mode = mode.lower()
        exists = ctx.spark.catalog.tableExists(plain)
        if exists and mode == "ignore":
            return
        if exists and mode in {"errorifexists", "error"}:
            raise ByzerRuntimeError(f"hive table {path} already exists (use save overwrite or append)")
        if not exists:
            if "." in plain:
                ctx.spark.sql(f"CREATE DATABASE IF NOT EXISTS `{plain.split('.')[0]}`")
            writer = df.write.format(options.get("fileFormat", "parquet"))
            if partition_by:
                writer = writer.partitionBy(*partition_by)
            writer.saveAsTable(table)
            return
        # An existing table keeps its definition: columns are matched by name, in the table's order.
        columns = ctx.spark.table(table).columns
        missing = [c for c in columns if c not in df.columns]
        if missing:
            raise ByzerError(
                f"hive save into {path}: the table has no value for column(s) {', '.join(missing)}"
            )
        # (The table's own partitioning applies; partitionBy shapes only a table being created.)
        df.select(*columns).write.insertInto(table, overwrite=mode == "overwrite")
