"""File formats: csv, json, parquet, orc and text. Options go to Spark's reader/writer as written."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime.sources.atomic import HadoopFiles, has_jvm, write_atomically, write_files
from byzer_engine.runtime.sources.base import DataSource, SourceContext
from byzer_engine.runtime.sources.path_locks import note_reads

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, DataFrameReader


def split_paths(path: str) -> list[str]:
    """``load csv.`a.csv,b.csv` `` reads several files, as in Byzer."""
    return [p for p in path.split(",") if p]


def reader_for(
    ctx: SourceContext, options: dict[str, str], format_name: str | None = None
) -> DataFrameReader:
    """A reader with the options; ``schema="a int, b string"`` (a DDL string) fixes the columns."""
    options = dict(options)
    schema = options.pop("schema", None)
    reader = ctx.spark.read.options(**options)
    if format_name:
        reader = reader.format(format_name)
    return reader.schema(schema) if schema else reader


class SparkFileSource(DataSource):
    """A file format Spark reads and writes itself."""

    spark_format: ClassVar[str] = ""

    def load(self, ctx: SourceContext, path: str, options: dict[str, str]) -> DataFrame:
        return reader_for(ctx, options, self.spark_format).load(note_reads(split_paths(path)))

    def save(
        self,
        ctx: SourceContext,
        df: DataFrame,
        path: str,
        mode: str,
        options: dict[str, str],
        partition_by: tuple[str, ...],
    ) -> None:
        write_files(ctx, df, self.spark_format, path, mode, options, partition_by)


class CsvSource(SparkFileSource):
    name = "csv"
    spark_format = "csv"
    doc = "CSV files: header, inferSchema, delimiter, quote, escape, encoding, dateFormat, skipFirstNLines, skipLastNLines"

    def load(self, ctx: SourceContext, path: str, options: dict[str, str]) -> DataFrame:
        options = dict(options)
        first = _line_count(options.pop("skipFirstNLines", None), "skipFirstNLines")
        last = _line_count(options.pop("skipLastNLines", None), "skipLastNLines")
        if "delimiter" in options and "sep" not in options:
            options["sep"] = options.pop("delimiter")
        if not first and not last:
            return super().load(ctx, path, options)
        return reader_for(ctx, options).csv(_lines_between(ctx, split_paths(path), first, last))


def _line_count(text: str | None, option: str) -> int:
    if not text:
        return 0
    try:
        return int(text)
    except ValueError as exc:
        raise ByzerError(f"{option} must be a number, not {text!r}") from exc


def _lines_between(ctx: SourceContext, paths: list[str], first: int, last: int) -> DataFrame:
    """The lines of each file without its first ``first`` and last ``last`` lines, as one column."""
    from pyspark.sql import functions as F

    files = ctx.spark.read.text(note_reads(paths), wholetext=True)
    # A final newline ends the last line; it does not start an empty one.
    lines = files.select(F.split(F.regexp_replace("value", "\r?\n$", ""), "\r?\n").alias("lines"))
    numbered = lines.select(F.size("lines").alias("n"), F.posexplode("lines").alias("pos", "line"))
    return numbered.where((F.col("pos") >= first) & (F.col("pos") < F.col("n") - last)).select("line")


class JsonSource(SparkFileSource):
    name = "json"
    spark_format = "json"
    doc = "JSON lines files (multiLine=true for one document per file)"


class ParquetSource(SparkFileSource):
    name = "parquet"
    spark_format = "parquet"
    doc = "Parquet files"


class OrcSource(SparkFileSource):
    name = "orc"
    spark_format = "orc"
    doc = "ORC files"


class TextSource(DataSource):
    """Load: one row per line (``wholetext="true"``: per file) with columns ``file`` and ``value``.

    Save: each row's ``contentColumn`` is written to a file under PATH; ``fileName`` names the column
    holding each row's file name, or (when no such column exists) one file that gets all rows.
    """

    name = "text"
    doc = "text files: columns file, value; save needs contentColumn and fileName"

    def load(self, ctx: SourceContext, path: str, options: dict[str, str]) -> DataFrame:
        from pyspark.sql import functions as F

        df = reader_for(ctx, options).text(split_paths(path))
        return df.select(F.col("_metadata.file_path").alias("file"), F.col("value"))

    def save(
        self,
        ctx: SourceContext,
        df: DataFrame,
        path: str,
        mode: str,
        options: dict[str, str],
        partition_by: tuple[str, ...],
    ) -> None:
        content_column = options.get("contentColumn")
        file_name = options.get("fileName")
        if not content_column or not file_name:
            raise ByzerError('text save needs contentColumn="COLUMN" and fileName="NAME|COLUMN"')
        if content_column not in df.columns:
            raise ByzerError(f"contentColumn '{content_column}' is not a column of the table")
        if not has_jvm(ctx.spark):
            raise ByzerError("text save needs a local or cluster Spark session (not Spark Connect)")
        per_row = file_name in df.columns
        columns = [file_name, content_column] if per_row else [content_column]
        rows = df.select(*columns).toLocalIterator()

        def write(target: str, spark_mode: str) -> None:
            files = HadoopFiles(ctx.spark, target)
            files.mkdirs(files.path)
            grouped: dict[str, list[str]] = {}
            for row in rows:
                name = str(row[0]) if per_row else file_name
                content: Any = row[-1]
                grouped.setdefault(name, []).append("" if content is None else str(content))
            for name, contents in grouped.items():
                if "/" in name or name in {"", ".", ".."}:
                    raise ByzerError(f"text save: invalid file name {name!r}")
                files.write_bytes(files.child(name), "\n".join(contents).encode("utf-8"))

        write_atomically(ctx.spark, path, mode, write)
