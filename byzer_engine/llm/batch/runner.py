"""The batch itself: freeze the input with row ids once, then compute and commit chunk after chunk.

Row ids: the first run numbers the input ``0..n-1`` (``row_number`` over
``monotonically_increasing_id``, i.e. the input's own order) and freezes it under ``OUT/_input``;
every later run reads the frozen copy, so a chunk means the same rows whatever the input's plan does
(a shuffle, a nondeterministic source). A resumed run checks that the input still has the schema and
the row count it had.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from byzer_engine.lang.errors import ByzerError, ByzerJobKilled
from byzer_engine.llm.batch.options import BatchOptions
from byzer_engine.llm.batch.store import ChunkStore

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession


@dataclass(frozen=True)
class BatchPlan:
    store: ChunkStore
    rows: int
    chunks: int
    resumed_from: int  # chunks already committed when this run began


def _check_columns(table: DataFrame, opts: BatchOptions) -> None:
    columns = set(table.columns)
    if opts.input_col not in columns:
        raise ByzerError(f"LLMBatch: the input has no column {opts.input_col!r} (it has {sorted(columns)})")
    for key, name in (("outputCol", opts.output_col), ("rowIdCol", opts.row_id_col)):
        if name in columns:
            raise ByzerError(f"LLMBatch: {key}={name!r} is already a column of the input; choose another")


def _freeze(spark: SparkSession, table: DataFrame, store: ChunkStore, opts: BatchOptions) -> int:
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    numbered = table.select(
        (F.row_number().over(Window.orderBy(F.monotonically_increasing_id())) - 1).alias(opts.row_id_col),
        *[F.col(f"`{c}`") for c in table.columns],
    )
    written = store.fresh_tmp()
    numbered.write.parquet(str(written))
    store.commit_input(written)
    return int(spark.read.parquet(str(store.input_dir)).count())


def prepare(spark: SparkSession, table: DataFrame, store: ChunkStore, opts: BatchOptions) -> BatchPlan:
    """Freezes the input on the first run; on a later one checks it is the same batch."""
    _check_columns(table, opts)
    if not spark.catalog.functionExists(opts.udf_name):
        raise ByzerError(
            f"LLMBatch: no function {opts.udf_name!r} is deployed in this session "
            '(run command as LLM.`` where action="infer" and udfName=... first)'
        )
    manifest = store.manifest()
    schema = table.schema.json()
    if manifest is None or not store.input_dir.exists():
        if store.committed():
            raise ByzerError(
                f"LLMBatch: {store.root} holds chunks but no manifest; remove it or choose another"
            )
        foreign = [] if not store.root.exists() else [p.name for p in store.root.iterdir()]
        if any(not name.startswith("_") for name in foreign):
            raise ByzerError(f"LLMBatch: {store.root} is not empty and holds no batch; choose another path")
        store.clear_tmp()
        rows = _freeze(spark, table, store, opts)
        store.write_manifest({"options": opts.identity(), "schema": schema, "rows": rows})
        return BatchPlan(store, rows, math.ceil(rows / opts.chunk_rows), 0)
    if manifest.get("options") != opts.identity():
        raise ByzerError(
            f"LLMBatch: {store.root} holds a batch with other options {manifest.get('options')}; "
            "use the same options to resume, or another path"
        )
    if manifest.get("schema") != schema:
        raise ByzerError(f"LLMBatch: {store.root} holds a batch over an input of another schema")
    rows = int(manifest["rows"])
    if table.count() != rows:
        raise ByzerError(
            f"LLMBatch: {store.root} holds a batch over {rows} rows; the input has another count"
        )
    store.clear_tmp()
    chunks = math.ceil(rows / opts.chunk_rows)
    return BatchPlan(store, rows, chunks, len(store.committed() & set(range(chunks))))


def _answer(opts: BatchOptions) -> Column:
    from pyspark.sql import functions as F

    pairs: list[Any] = [F.lit("instruction"), F.col(f"`{opts.input_col}`").cast("string")]
    for key, value in opts.params:
        pairs += [F.lit(key), F.lit(value)]
    response = F.call_function(opts.udf_name, F.array(F.to_json(F.create_map(*pairs))))
    return F.get_json_object(F.try_element_at(response, F.lit(1)), "$.output")


def run_chunks(
    spark: SparkSession,
    plan: BatchPlan,
    opts: BatchOptions,
    stop: threading.Event,
    on_commit: Callable[[int], None] = lambda rows_done: None,
) -> None:
    """Computes every chunk not yet committed, in order; stops between chunks once ``stop`` is set.
    ``on_commit`` gets the rows done after each commit."""
    from pyspark.sql import functions as F

    frozen = spark.read.parquet(str(plan.store.input_dir))
    done = plan.store.committed()
    for index in range(plan.chunks):
        if index in done:
            continue
        if stop.is_set():
            raise ByzerJobKilled(f"LLMBatch stopped after {len(plan.store.committed())} committed chunks")
        low, high = index * opts.chunk_rows, (index + 1) * opts.chunk_rows
        row_id = F.col(f"`{opts.row_id_col}`")
        chunk = frozen.where((row_id >= low) & (row_id < high)).withColumn(opts.output_col, _answer(opts))
        written = plan.store.fresh_tmp()
        chunk.coalesce(1).write.parquet(str(written))
        plan.store.commit_chunk(index, written)
        on_commit(rows_done(plan, opts))


def rows_done(plan: BatchPlan, opts: BatchOptions) -> int:
    """Rows in committed chunks (the last chunk may be short)."""
    committed = plan.store.committed() & set(range(plan.chunks))
    full = len(committed) * opts.chunk_rows
    return full - (opts.chunk_rows * plan.chunks - plan.rows if plan.chunks - 1 in committed else 0)


def result(spark: SparkSession, plan: BatchPlan, opts: BatchOptions) -> DataFrame:
    """The whole output, ordered by row id (what ``load parquet.`OUT``` reads, too)."""
    from pyspark.sql import functions as F

    if plan.chunks == 0:
        frozen = spark.read.parquet(str(plan.store.input_dir))
        return frozen.withColumn(opts.output_col, F.lit(None).cast("string")).limit(0)
    return spark.read.parquet(str(plan.store.root)).orderBy(opts.row_id_col)
