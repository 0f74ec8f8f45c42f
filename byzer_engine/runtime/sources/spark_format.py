"""Any format the engine does not know is handed to Spark's own reader and writer by name."""

from __future__ import annotations

from typing import TYPE_CHECKING

from byzer_engine.runtime.sources.atomic import write_files
from byzer_engine.runtime.sources.base import DataSource, SourceContext

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

# Spark formats whose PATH is a file or folder (resolved in the owner's home); others (kafka, es, ...)
# get PATH as written.
FILE_FORMATS = frozenset({"avro", "binaryfile", "delta", "hudi", "image", "libsvm", "xml"})


class SparkFormatSource(DataSource):
    doc = "Spark's own data source of this name"

    def __init__(self, format_name: str) -> None:
        self.format_name = format_name

    @property
    def path_is_file(self) -> bool:  # type: ignore[override]
        return self.format_name.lower() in FILE_FORMATS

    def load(self, ctx: SourceContext, path: str, options: dict[str, str]) -> DataFrame:
        reader = ctx.spark.read.format(self.format_name).options(**options)
        return reader.load(path) if path else reader.load()

    def save(
        self,
        ctx: SourceContext,
        df: DataFrame,
        path: str,
        mode: str,
        options: dict[str, str],
        partition_by: tuple[str, ...],
    ) -> None:
        if path and self.path_is_file:
            write_files(ctx, df, self.format_name, path, mode, options, partition_by)
            return
        writer = df.write.format(self.format_name).options(**options).mode(spark_mode(mode))
        if partition_by:
            writer = writer.partitionBy(*partition_by)
        writer.save(path) if path else writer.save()


def spark_mode(mode: str) -> str:
    return {"errorifexists": "error"}.get(mode.lower(), mode.lower())
