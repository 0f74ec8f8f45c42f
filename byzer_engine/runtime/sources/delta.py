"""``load delta.`PATH` `` and ``save overwrite|append T as delta.`PATH` ``, without a JVM package.

The table work is done by ``delta_spark`` (a Spark Python Data Source over ``deltalake``), so reads
and writes stay distributed in Spark and the Delta log is written by delta-rs. Load options:
``versionAsOf``, ``timestampAsOf``. Save: the four Byzer modes, ``partitionBy``, and
``idCol="id[,id2]"`` with ``append``, which merges (updates the rows whose ids match, inserts the
others); the merge goes through ``deltalake``'s own merge on the driver.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from byzer_engine.lang.errors import ByzerError, ByzerRuntimeError
from byzer_engine.runtime.sources.base import DataSource, SourceContext
from byzer_engine.runtime.sources.python_source import use_python_source

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

LOAD_KEYS = ("versionAsOf", "timestampAsOf")


def register_format(spark: SparkSession) -> str:
    from byzer_engine.runtime.sources.delta_spark import DeltaDataSource

    return use_python_source(spark, DeltaDataSource)


def is_delta_table(path: str) -> bool:
    from deltalake import DeltaTable

    return bool(DeltaTable.is_deltatable(path))


def _error(exc: Exception) -> str:
    text = str(exc)
    for marker in ("ValueError: ", "TableNotFoundError: ", "DeltaError: ", "Exception: "):
        if marker in text:
            return text.split(marker, 1)[1].strip().splitlines()[0]
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


class DeltaSource(DataSource):
    name = "delta"
    doc = "Delta tables (deltalake): versionAsOf, timestampAsOf; save modes, partitionBy, idCol (merge)"

    def load(self, ctx: SourceContext, path: str, options: dict[str, str]) -> DataFrame:
        if not is_delta_table(path):
            raise ByzerError(f"delta: {path} is not a Delta table")
        reader = ctx.spark.read.format(register_format(ctx.spark)).option("path", path)
        for key in LOAD_KEYS:
            if options.get(key):
                reader = reader.option(key, options[key])
        try:
            return reader.load()
        except Exception as exc:
            raise ByzerRuntimeError(f"delta: cannot read {path}: {_error(exc)}") from None

    def save(
        self,
        ctx: SourceContext,
        df: DataFrame,
        path: str,
        mode: str,
        options: dict[str, str],
        partition_by: tuple[str, ...],
    ) -> None:
        mode = mode.lower()
        exists = is_delta_table(path)
        if exists and mode == "ignore":
            return
        if exists and mode in {"errorifexists", "error"}:
            raise ByzerRuntimeError(f"delta table {path} already exists (use save overwrite or append)")
        keys = [k.strip() for k in options.get("idCol", "").split(",") if k.strip()]
        missing = [k for k in keys if k not in df.columns]
        if missing:
            raise ByzerError(f"delta save: idCol {', '.join(missing)} is not a column of the table")
        if exists and keys and mode == "append":
            merge(df, path, keys)
            return
        writer = (
            df.write.format(register_format(ctx.spark))
            .option("path", path)
            .option("partitionBy", json.dumps(list(partition_by)))
            .mode("overwrite" if mode == "overwrite" else "append")
        )
        writer.save()


def merge(df: DataFrame, path: str, keys: list[str]) -> None:
    """Upserts ``df`` into the table at ``path`` by ``keys`` with deltalake's merge."""
    from deltalake import DeltaTable

    source: Any = df.toArrow()
    predicate = " AND ".join(f"t.`{k}` = s.`{k}`" for k in keys)
    table = DeltaTable(path)
    try:
        (
            table.merge(source, predicate, source_alias="s", target_alias="t")
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .execute()
        )
    except Exception as exc:
        raise ByzerRuntimeError(f"delta merge into {path} failed: {_error(exc)}") from None
