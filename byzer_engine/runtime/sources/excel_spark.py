"""Excel (.xlsx) files as a Spark Python Data Source over ``openpyxl``: one input partition per file.

Options: ``path`` (files or folders, comma-separated), ``sheetName`` (default: the first sheet),
``header`` ("true": the first row names the columns), ``inferSchema`` ("true": column types from the
first rows of the first file; else every column is a string).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pyspark.sql.datasource import DataSource, DataSourceReader, InputPartition

if TYPE_CHECKING:
    from pyspark.sql.types import StructType

FORMAT_NAME = "byzer_excel"
_SAMPLE_ROWS = 1000
_EXTENSIONS = (".xlsx", ".xlsm")


def excel_files(paths: str) -> list[str]:
    found: list[str] = []
    for path in (p for p in paths.split(",") if p):
        if os.path.isdir(path):
            found += sorted(
                os.path.join(path, name)
                for name in os.listdir(path)
                if name.lower().endswith(_EXTENSIONS) and not name.startswith((".", "~$"))
            )
        elif os.path.isfile(path):
            found.append(path)
        else:
            raise ValueError(f"excel: no file {path}")
    return found


def _rows(path: str, sheet: str | None) -> Iterator[tuple[Any, ...]]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        if sheet and sheet not in book.sheetnames:
            raise ValueError(f"excel: {path} has no sheet '{sheet}' (sheets: {', '.join(book.sheetnames)})")
        for row in (book[sheet] if sheet else book.worksheets[0]).iter_rows(values_only=True):
            if any(cell is not None for cell in row):
                yield tuple(row)
    finally:
        book.close()


def _type_of(values: list[Any]) -> str:
    seen = {type(v) for v in values if v is not None}
    if not seen:
        return "string"
    if seen <= {bool}:
        return "boolean"
    if seen <= {int}:
        return "bigint"
    if seen <= {int, float}:
        return "double"
    if seen <= {dt.datetime, dt.date}:
        return "timestamp" if dt.datetime in seen else "date"
    return "string"


def _header_names(row: tuple[Any, ...]) -> list[str]:
    names: list[str] = []
    for index, cell in enumerate(row):
        name = str(cell).strip() if cell is not None and str(cell).strip() else f"_c{index}"
        names.append(name if name not in names else f"{name}_{index}")
    return names


def infer_schema(options: Mapping[str, str]) -> str:
    files = excel_files(options.get("path", ""))
    if not files:
        raise ValueError("excel: no .xlsx files found")
    header = options.get("header", "true").lower() == "true"
    sample = []
    for row in _rows(files[0], options.get("sheetName")):
        sample.append(row)
        if len(sample) > _SAMPLE_ROWS:
            break
    width = max((len(r) for r in sample), default=0)
    names = (
        _header_names(sample[0] + (None,) * (width - len(sample[0])))
        if header and sample
        else [f"_c{i}" for i in range(width)]
    )
    body = sample[1:] if header else sample
    infer = options.get("inferSchema", "false").lower() == "true"
    columns = []
    for index, name in enumerate(names):
        kind = _type_of([r[index] if index < len(r) else None for r in body]) if infer else "string"
        columns.append(f"`{name.replace('`', '``')}` {kind}")
    return ", ".join(columns)


@dataclass
class ExcelFile(InputPartition):  # type: ignore[misc]
    path: str


def _convert(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "string":
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)
    if kind == "double":
        return float(value)
    if kind == "bigint":
        return int(value)
    if kind == "date" and isinstance(value, dt.datetime):
        return value.date()
    return value


class ExcelReader(DataSourceReader):  # type: ignore[misc]
    def __init__(self, options: Mapping[str, str], schema: StructType) -> None:
        self.options = options
        self.schema = schema

    def partitions(self) -> Sequence[InputPartition]:
        return [ExcelFile(path) for path in excel_files(self.options.get("path", ""))]

    def read(self, partition: InputPartition) -> Iterator[tuple[Any, ...]]:
        assert isinstance(partition, ExcelFile)
        kinds = [field.dataType.simpleString() for field in self.schema.fields]
        header = self.options.get("header", "true").lower() == "true"
        for number, row in enumerate(_rows(partition.path, self.options.get("sheetName"))):
            if header and number == 0:
                continue
            cells = list(row[: len(kinds)]) + [None] * (len(kinds) - len(row))
            yield tuple(_convert(cell, kind) for cell, kind in zip(cells, kinds, strict=True))


class ExcelDataSource(DataSource):  # type: ignore[misc]
    @classmethod
    def name(cls) -> str:
        return FORMAT_NAME

    def schema(self) -> str:
        return infer_schema(self.options)

    def reader(self, schema: StructType) -> DataSourceReader:
        return ExcelReader(self.options, schema)
