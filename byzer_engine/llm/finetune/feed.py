"""Streams the training rows from Spark into the training actor as Arrow batches.

Each Spark task connects to Ray and pushes its partition's Arrow batches straight into the actor
(``mapInArrow``), so the table is never collected on the driver; the driver only sums row counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pyarrow as pa

from byzer_engine.lang.errors import ByzerError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

REQUIRED_COLUMNS = ("instruction", "output")
OPTIONAL_COLUMNS = ("input", "history", "system")
# Batches in flight per Spark task: reading the next batch overlaps with the actor storing the last.
MAX_IN_FLIGHT = 4


def training_frame(table: DataFrame, table_name: str) -> DataFrame:
    """The Alpaca columns as strings (history as JSON when it is an array of structs)."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType

    by_lower = {field.name.lower(): field for field in table.schema.fields}
    missing = [column for column in REQUIRED_COLUMNS if column not in by_lower]
    if missing:
        have = ", ".join(field.name for field in table.schema.fields) or "no columns"
        raise ByzerError(
            f"inputTable '{table_name}' needs columns instruction and output (Alpaca form; input, history "
            f"and system are optional); missing {', '.join(missing)}; it has {have}"
        )
    columns = []
    for column in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS):
        field = by_lower.get(column)
        if field is None:
            continue
        value = F.col(f"`{field.name}`")
        if not isinstance(field.dataType, StringType):
            value = F.to_json(value) if column == "history" else value.cast("string")
        columns.append(value.alias(column))
    return table.select(*columns)


def _pusher(
    ray_address: str, worker_name: str, namespace: str
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    def push(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import ray

        from byzer_engine.runtime.ray_connect import ensure_ray

        ensure_ray(ray_address)
        worker = ray.get_actor(worker_name, namespace=namespace)
        in_flight: list[ray.ObjectRef] = []
        rows = 0
        for batch in batches:
            if batch.num_rows == 0:
                continue
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, batch.schema) as writer:
                writer.write_batch(batch)
            in_flight.append(worker.add_batch.remote(sink.getvalue().to_pybytes()))
            if len(in_flight) >= MAX_IN_FLIGHT:
                rows += ray.get(in_flight.pop(0))
        rows += sum(ray.get(in_flight))
        yield pa.RecordBatch.from_pydict({"rows": [rows]}, schema=pa.schema([("rows", pa.int64())]))

    return push


def feed(frame: DataFrame, ray_address: str, worker_name: str, namespace: str) -> int:
    """Pushes every row of ``frame`` into the named actor; returns the number of rows sent."""
    counts = frame.mapInArrow(_pusher(ray_address, worker_name, namespace), "rows long").collect()
    return sum(int(row["rows"]) for row in counts)
