"""The ``LLMBatch`` ET: a deployed function over every row of a table, written in resumable chunks."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, ClassVar

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime.ets.base import ET, ETContext, ETParam

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


class LLMBatchET(ET):
    name: ClassVar[str] = "LLMBatch"
    alg_type: ClassVar[str] = "algorithm"
    doc: ClassVar[str] = (
        "Compute a deployed LLM function over every row of the table and write the answers under PATH "
        "in committed chunks; the same statement after a kill or a restart resumes from the last "
        "committed chunk (no committed row is computed again) and returns the whole table."
    )
    params: ClassVar[tuple[ETParam, ...]] = (
        ETParam("udfName", "the deployed function (run command as LLM.`` where udfName=...)", required=True),
        ETParam("inputCol", "column holding each row's instruction", required=True),
        ETParam("outputCol", "column of the generated text (NULL for a failed request)", default="answer"),
        ETParam("rowIdCol", "column of the stable row id (0..n-1 in the input's order)", default="row_id"),
        ETParam("chunkRows", "rows per committed chunk", default="64"),
        ETParam("param.*", 'extra request fields, e.g. param.max_length="32", param.cache="false"'),
        ETParam(
            "detached",
            "true: start a background job (listed in load _mlsql_.`jobs`) and return its name",
            default="false",
            values=("true", "false"),
        ),
        ETParam("jobName", "name of the detached job", default="llmbatch:PATH"),
    )
    example: ClassVar[str] = (
        "select 'What is 2 plus 2?' as q as t;\n"
        'run t as LLMBatch.`/tmp/answers` where udfName="chat" and inputCol="q" and chunkRows="32";\n'
        "load parquet.`/tmp/answers` as answers;"
    )

    def run(
        self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]
    ) -> DataFrame | None:
        from byzer_engine.llm.batch.options import parse_options
        from byzer_engine.llm.batch.progress import BatchProgress
        from byzer_engine.llm.batch.runner import prepare, result, rows_done, run_chunks
        from byzer_engine.llm.batch.store import ChunkStore, local_folder

        opts = parse_options(options)
        if table is None:
            raise ByzerError("LLMBatch runs over a table: run TABLE as LLMBatch.`out_path` where ...")
        store = ChunkStore(local_folder(ctx.resolve_path(path)))
        if opts.detached:
            from byzer_engine.llm.batch.detached import start

            return start(ctx, table, store, path, options)
        stop = threading.Event()
        ctx.on_cancel(stop.set)
        plan = prepare(ctx.spark, table, store, opts)
        if plan.resumed_from:
            ctx.emit(f"LLMBatch: resuming {path}: {plan.resumed_from} of {plan.chunks} chunks committed")
        progress = BatchProgress(path, ctx.owner, ctx.job_name, plan.rows, rows_done(plan, opts))
        run_chunks(ctx.spark, plan, opts, stop, lambda done: ctx.emit(progress.line(done)))
        return result(ctx.spark, plan, opts)
