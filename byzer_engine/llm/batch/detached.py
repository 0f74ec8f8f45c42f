"""``detached="true"``: the same batch as a background job of the engine.

The job is an ordinary engine job (``run_script`` on a thread of its own, with its own Spark job
group), so ``/runningjobs`` and ``load _mlsql_.`jobs``` list it while it runs and the engine's job
cancel (``!kill``, ``/killjob``) stops it; the statement returns at once with the job's name. The
input table is handed over as a global temporary view, dropped when the job ends; how the job ended
is written to ``OUT/_status.json``.
"""

from __future__ import annotations

import threading
import uuid
from typing import TYPE_CHECKING, Any

from byzer_engine.lang.errors import ByzerError
from byzer_engine.lang.statements import RunET, Span
from byzer_engine.llm.batch.store import ChunkStore

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from byzer_engine.runtime.ets.base import ETContext

JOB_TYPE = "llmbatch"


def job_name_for(options: dict[str, str], out: str) -> str:
    return (options.get("jobName") or "").strip() or f"llmbatch:{out}"


def start(
    ctx: ETContext, table: DataFrame, store: ChunkStore, path: str, options: dict[str, str]
) -> DataFrame:
    engine = ctx.engine
    if engine is None:
        raise ByzerError('LLMBatch detached="true" needs a running engine')
    name = job_name_for(options, path)
    if engine.jobs.find(job_name=name, owners=[ctx.owner]) is not None:
        raise ByzerError(f"LLMBatch: the job '{name}' is already running; it writes {path}")
    view = f"llmbatch_input_{uuid.uuid4().hex}"
    table.createOrReplaceGlobalTempView(view)
    inline = {k: v for k, v in options.items() if k not in ("detached", "jobName")}
    text = f"run global_temp.{view} as LLMBatch.`{store.root}` where {_render(inline)};"
    statement = RunET(
        span=Span("<llmbatch>", 1, 1, 1, len(text), text.rstrip(";")),
        verb="run",
        table=f"global_temp.{view}",
        et="LLMBatch",
        path=str(store.root),
        options=inline,
    )
    spark = ctx.spark

    def work() -> None:
        status, message = "failed", ""
        try:
            engine.run_script(text, owner=ctx.owner, job_name=name, job_type=JOB_TYPE, statements=[statement])
            status = "succeeded"
        except ByzerError as error:
            status = {"killed": "killed", "timeout": "timeout"}.get(error.kind, "failed")
            message = error.message
        except Exception as error:  # recorded in _status.json: nobody waits on this thread
            message = f"{type(error).__name__}: {error}"
        finally:
            try:
                spark.catalog.dropGlobalTempView(view)
            except Exception:
                pass
        store.write_status({"job": name, "status": status, "message": message})

    store.write_status({"job": name, "status": "running", "message": ""})
    threading.Thread(target=work, name=f"llmbatch-{view}", daemon=True).start()
    row: dict[str, Any] = {"jobName": name, "path": path, "status": "running"}
    return spark.createDataFrame([row], "jobName string, path string, status string")


def _render(options: dict[str, str]) -> str:
    """The options as a where clause, shown in the job's content (the statement itself is passed parsed)."""
    return " and ".join(f'`{key}`="{value}"' for key, value in sorted(options.items()))
