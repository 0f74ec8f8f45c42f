"""Delta tables as a Spark Python Data Source over the ``deltalake`` library (no JVM package).

Reads: the driver pins a table version (``versionAsOf`` / ``timestampAsOf`` / the latest) and makes one
input partition per data file; Spark's Python workers read the Parquet files as Arrow batches and add
the partition columns. Writes: each Spark task writes Parquet files into the table folder and reports
them; the driver commits them all in one Delta transaction written by ``deltalake`` (``append`` or
``overwrite``), so a job that fails commits nothing. The options are ``path``, ``versionAsOf``,
``timestampAsOf`` and ``partitionBy`` (a JSON list).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from pyspark.sql.datasource import (
    DataSource,
    DataSourceArrowWriter,
    DataSourceReader,
    DataSourceWriter,
    InputPartition,
    WriterCommitMessage,
)

if TYPE_CHECKING:
    import pyarrow as pa
    from deltalake import DeltaTable
    from pyspark.sql.types import StructType

FORMAT_NAME = "byzer_delta"
# Reader features this reader cannot honour; a table that uses them is refused, not misread.
_UNSUPPORTED_READER_FEATURES = {"deletionVectors", "columnMapping"}
_BATCH_ROWS = 65536


def open_table(path: str, options: Mapping[str, str]) -> DeltaTable:
    """The table at ``path`` at the version the options ask for."""
    from deltalake import DeltaTable

    version = options.get("versionAsOf")
    table = DeltaTable(path, version=int(version)) if version not in (None, "") else DeltaTable(path)
    timestamp = options.get("timestampAsOf")
    if timestamp:
        table.load_as_version(parse_timestamp(timestamp))
    return table


def parse_timestamp(text: str) -> dt.datetime:
    """``2024-01-31 10:00:00`` (local time) or any ISO-8601 form, as an aware datetime."""
    moment = dt.datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    return moment if moment.tzinfo else moment.astimezone()


def arrow_schema(table: DeltaTable) -> pa.Schema:
    import pyarrow as pa

    return pa.schema(table.schema().to_arrow())


@dataclass
class DeltaFile(InputPartition):  # type: ignore[misc]
    path: str  # absolute
    partition_values: dict[str, str | None]


def _add_actions(table: DeltaTable) -> list[tuple[str, dict[str, str | None]]]:
    import pyarrow as pa

    actions = pa.table(table.get_add_actions(flatten=False)).to_pylist()
    out = []
    for action in actions:
        values = action.get("partition") or action.get("partition_values") or {}
        if isinstance(values, list):  # a map column comes back as (key, value) pairs
            values = dict(values)
        out.append((str(action["path"]), {k: (None if v is None else str(v)) for k, v in values.items()}))
    return out


def _cast_partition_value(value: str | None, field: Any, rows: int) -> Any:
    import pyarrow as pa

    if value is None:
        return pa.nulls(rows, field.type)
    return pa.array([value] * rows, pa.string()).cast(field.type)


class DeltaReader(DataSourceReader):  # type: ignore[misc]
    def __init__(self, path: str, options: Mapping[str, str], schema: StructType) -> None:
        self.path = path
        self.options = options
        self.schema = schema

    def partitions(self) -> Sequence[InputPartition]:
        table = open_table(self.path, self.options)
        features = set(table.protocol().reader_features or [])
        blocked = features & _UNSUPPORTED_READER_FEATURES
        if blocked:
            raise ValueError(
                f"delta table {self.path} uses {', '.join(sorted(blocked))}, which this reader does not support"
            )
        root = self.path.rstrip("/")
        return [
            DeltaFile(path if "://" in path or path.startswith("/") else f"{root}/{unquote(path)}", values)
            for path, values in _add_actions(table)
        ]

    def read(self, partition: InputPartition) -> Iterator[Any]:
        import pyarrow as pa
        import pyarrow.parquet as pq
        from pyspark.sql.pandas.types import to_arrow_schema

        assert isinstance(partition, DeltaFile)
        target = to_arrow_schema(self.schema)
        file = pq.ParquetFile(partition.path.removeprefix("file://"))
        present = set(file.schema_arrow.names)
        wanted = [f.name for f in target if f.name in present and f.name not in partition.partition_values]
        for batch in file.iter_batches(batch_size=_BATCH_ROWS, columns=wanted):
            columns = []
            for field in target:
                if field.name in partition.partition_values:
                    columns.append(
                        _cast_partition_value(partition.partition_values[field.name], field, batch.num_rows)
                    )
                elif field.name in present:
                    columns.append(batch.column(field.name).cast(field.type))
                else:  # a column added to the table after this file was written
                    columns.append(pa.nulls(batch.num_rows, field.type))
            yield pa.RecordBatch.from_arrays(columns, schema=target)


@dataclass
class DeltaCommit(WriterCommitMessage):  # type: ignore[misc]
    files: list[dict[str, Any]]


def _partition_folder(values: dict[str, str | None]) -> str:
    parts = []
    for key, value in values.items():
        shown = "__HIVE_DEFAULT_PARTITION__" if value is None else quote(value, safe="")
        parts.append(f"{key}={shown}")
    return "/".join(parts)


def _stats(batch: pa.Table) -> str:
    return json.dumps({"numRecords": batch.num_rows})


class DeltaWriter(DataSourceArrowWriter):  # type: ignore[misc]
    def __init__(self, path: str, options: Mapping[str, str], schema: StructType, overwrite: bool) -> None:
        self.path = path
        self.options = options
        self.schema = schema
        self.overwrite = overwrite
        self.partition_by: list[str] = json.loads(options.get("partitionBy") or "[]")
        if not self.partition_by:
            from deltalake import DeltaTable

            if DeltaTable.is_deltatable(path):  # an existing table keeps its partitioning
                self.partition_by = list(DeltaTable(path).metadata().partition_columns)

    def write(self, iterator: Iterator[Any]) -> WriterCommitMessage:
        import pyarrow as pa
        from pyspark.sql.pandas.types import to_arrow_schema

        schema = to_arrow_schema(self.schema)
        batches = [batch for batch in iterator if batch.num_rows]
        if not batches:
            return DeltaCommit([])
        return DeltaCommit(self._write_files(pa.Table.from_batches(batches).cast(schema)))

    def _write_files(self, data: pa.Table) -> list[dict[str, Any]]:
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        groups: list[tuple[dict[str, str | None], pa.Table]] = []
        if self.partition_by:
            keys = data.select(self.partition_by).group_by(self.partition_by).aggregate([]).to_pylist()
            for key in keys:
                mask = None
                for column, value in key.items():
                    test = pc.is_null(data[column]) if value is None else pc.equal(data[column], value)
                    mask = test if mask is None else pc.and_(mask, test)
                values = {c: (None if v is None else str(v)) for c, v in key.items()}
                groups.append((values, data.filter(mask).drop_columns(self.partition_by)))
        else:
            groups.append(({}, data))
        files = []
        for values, part in groups:
            folder = _partition_folder(values)
            relative = f"{folder + '/' if folder else ''}part-{uuid.uuid4().hex}.snappy.parquet"
            full = os.path.join(self.path.removeprefix("file://"), relative)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            pq.write_table(part, full, compression="snappy")
            files.append(
                {
                    "path": relative,
                    "size": os.path.getsize(full),
                    "partition_values": values,
                    "modification_time": int(time.time() * 1000),
                    "stats": _stats(part),
                }
            )
        return files

    def commit(self, messages: list[WriterCommitMessage | None]) -> None:
        from deltalake import DeltaTable, Schema
        from deltalake.transaction import AddAction, create_table_with_add_actions
        from pyspark.sql.pandas.types import to_arrow_schema

        actions: list[Any] = [
            AddAction(f["path"], f["size"], f["partition_values"], f["modification_time"], True, f["stats"])
            for message in messages
            if isinstance(message, DeltaCommit)
            for f in message.files
        ]
        import pyarrow as pa

        # Delta columns are nullable (Spark marks literal columns not null; delta-rs then rejects the
        # partition values' null masks).
        schema = pa.schema([f.with_nullable(True) for f in to_arrow_schema(self.schema)])
        mode = "overwrite" if self.overwrite else "append"
        if DeltaTable.is_deltatable(self.path):
            table = DeltaTable(self.path)
            partition_by = self.partition_by or list(table.metadata().partition_columns)
            table.create_write_transaction(actions, mode, schema, partition_by or None)
        else:
            create_table_with_add_actions(
                self.path,
                Schema.from_arrow(schema),
                actions,
                mode="append",
                partition_by=self.partition_by or None,
            )

    def abort(self, messages: list[WriterCommitMessage | None]) -> None:
        for message in messages:
            if isinstance(message, DeltaCommit):
                for f in message.files:
                    try:
                        os.remove(os.path.join(self.path.removeprefix("file://"), f["path"]))
                    except OSError:
                        pass


class DeltaDataSource(DataSource):  # type: ignore[misc]
    """``spark.read.format("byzer_delta").load(path)`` and ``df.write.format("byzer_delta").save(path)``."""

    @classmethod
    def name(cls) -> str:
        return FORMAT_NAME

    def _path(self) -> str:
        path = self.options.get("path")
        if not path:
            raise ValueError("delta: no path given")
        return str(path)

    def schema(self) -> StructType:
        from pyspark.sql.pandas.types import from_arrow_schema

        return from_arrow_schema(arrow_schema(open_table(self._path(), self.options)))

    def reader(self, schema: StructType) -> DataSourceReader:
        return DeltaReader(self._path(), self.options, schema)

    def writer(self, schema: StructType, overwrite: bool) -> DataSourceWriter:
        return DeltaWriter(self._path(), self.options, schema, overwrite)
