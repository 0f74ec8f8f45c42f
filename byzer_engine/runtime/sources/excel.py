"""``load excel.`PATH` `` (sheetName, header, inferSchema) and ``save ... as excel.`FILE.xlsx` ``.

Loads go through ``excel_spark`` (a Spark Python Data Source over ``openpyxl``, one task per file).
A save writes one workbook (``sheetName``, default ``Sheet1``; ``header`` "true" writes the column
names first): the rows are streamed to the driver, which writes the file with ``openpyxl``.
"""

from __future__ import annotations

import os
import tempfile
from typing import TYPE_CHECKING

from byzer_engine.lang.errors import ByzerError, ByzerRuntimeError
from byzer_engine.runtime.sources.base import DataSource, SourceContext
from byzer_engine.runtime.sources.python_source import use_python_source

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

_LOAD_KEYS = ("sheetName", "header", "inferSchema")


def _register(spark: SparkSession) -> str:
    from byzer_engine.runtime.sources.excel_spark import ExcelDataSource

    return use_python_source(spark, ExcelDataSource)


def _first_line(exc: Exception) -> str:
    text = str(exc)
    if "ValueError: " in text:
        return text.split("ValueError: ", 1)[1].strip().splitlines()[0]
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


class ExcelSource(DataSource):
    name = "excel"
    doc = "Excel .xlsx files (openpyxl): sheetName, header, inferSchema; save writes one workbook"

    def load(self, ctx: SourceContext, path: str, options: dict[str, str]) -> DataFrame:
        reader = ctx.spark.read.format(_register(ctx.spark)).option("path", path)
        for key in _LOAD_KEYS:
            if key in options:
                reader = reader.option(key, options[key])
        try:
            return reader.load()
        except Exception as exc:
            raise ByzerRuntimeError(f"excel: cannot read {path}: {_first_line(exc)}") from None

    def save(
        self,
        ctx: SourceContext,
        df: DataFrame,
        path: str,
        mode: str,
        options: dict[str, str],
        partition_by: tuple[str, ...],
    ) -> None:
        from openpyxl import Workbook

        if partition_by:
            raise ByzerError("excel save does not take partitionBy (it writes one workbook)")
        mode = mode.lower()
        exists = os.path.exists(path)
        if exists and mode == "ignore":
            return
        if exists and mode in {"errorifexists", "error"}:
            raise ByzerRuntimeError(f"path {path} already exists (use save overwrite)")
        if mode == "append":
            raise ByzerError("excel save supports overwrite, errorIfExists and ignore, not append")
        book = Workbook(write_only=True)
        sheet = book.create_sheet(options.get("sheetName", "Sheet1"))
        if options.get("header", "true").lower() == "true":
            sheet.append(df.columns)
        for row in df.toLocalIterator():
            sheet.append(list(row))
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        # Written next to the target, then moved over it: a failing query leaves the old file.
        handle, staged = tempfile.mkstemp(suffix=".xlsx", dir=os.path.dirname(path) or ".")
        os.close(handle)
        try:
            book.save(staged)
            os.replace(staged, path)
        finally:
            if os.path.exists(staged):
                os.remove(staged)
