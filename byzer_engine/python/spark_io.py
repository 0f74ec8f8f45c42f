"""The Spark side of the data path: partitions into data servers, data servers back into a DataFrame.

Both run as ``mapInArrow`` tasks, so the rows go straight between Spark's Python workers and Ray's
actors, partition by partition, in parallel; the driver only sees row counts.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

# Record batches sent to a data server per call (Spark makes batches of up to 10k rows).
BATCHES_PER_CALL = 8


def feed(df: DataFrame, server_names: list[str], namespace: str, ray_address: str) -> dict[int, int]:
    """Pushes partition i of ``df`` to data server i; returns the row count of each partition."""

    def push(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa
        import ray
        from pyspark import TaskContext

        from byzer_engine.runtime.ray_connect import ensure_ray

        ensure_ray(ray_address)
        task = TaskContext.get()
        index = task.partitionId() if task is not None else 0
        server = ray.get_actor(server_names[index], namespace=namespace)
        pending: list[Any] = []
        group: list[Any] = []
        rows = 0
        for batch in batches:
            if batch.num_rows == 0:
                continue
            group.append(batch)
            rows += batch.num_rows
            if len(group) >= BATCHES_PER_CALL:
                pending.append(server.put.remote(group))
                group = []
        if group:
            pending.append(server.put.remote(group))
        ray.get(pending)
        yield pa.RecordBatch.from_pydict({"partition": [index], "rows": [rows]})

    counted = df.mapInArrow(push, "partition long, rows long").collect()
    return {int(row["partition"]): int(row["rows"]) for row in counted}


def read(
    spark: SparkSession, actor_names: list[str], namespace: str, ray_address: str, schema: StructType
) -> DataFrame:
    """A DataFrame of ``schema`` made of every output table the named actors hold, one partition each."""
    from byzer_engine.python.servers import OUTPUT_METHOD

    def pull(batches: Iterator[Any]) -> Iterator[Any]:
        import ray

        from byzer_engine.runtime.ray_connect import ensure_ray

        ensure_ray(ray_address)
        for batch in batches:
            for index in batch.column(0).to_pylist():
                actor = ray.get_actor(actor_names[index], namespace=namespace)
                for table in ray.get(getattr(actor, OUTPUT_METHOD).remote()):
                    yield from table.to_batches()

    count = max(len(actor_names), 1)
    ids = spark.range(0, len(actor_names), 1, numPartitions=count)
    return ids.mapInArrow(pull, schema)


__all__ = ["feed", "read"]
