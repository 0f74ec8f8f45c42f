"""A deployed model as a Spark SQL function: an Arrow-batched pandas UDF ``array<string> -> array<string>``.

Spark hands the UDF one Arrow batch at a time; every request element of every row in the batch goes to
the pool's master in one call (the master computes identical requests once), and the responses are
put back row by row. Each Spark Python worker connects to Ray once (the address is captured at deploy)
and keeps the connection for the tasks it runs after.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from byzer_engine.llm.requests import LLMRequest, answer_parsed
from byzer_engine.llm.usage import Limits, metered_call

# Local properties the engine sets on the Spark jobs of a script (``runtime.engine``).
OWNER_PROPERTY = "spark.scheduler.pool"
JOB_NAME_PROPERTY = "byzer.job.name"
JOB_GROUP_PROPERTY = "spark.jobGroup.id"  # Spark's own, set by setJobGroup

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@dataclass(frozen=True)
class UdfTarget:
    """Where a registered function sends its batches; pickled into Spark's Python workers."""

    name: str
    ray_address: str
    timeout_s: float | None = None
    fail_on_error: bool = False
    limits: Limits = field(default_factory=Limits)
    capacity: int = 0  # requests the pool computes in one pass together (``usage.in_flight_limit``)


class LLMRequestFailed(RuntimeError):
    """A request failed and the function was deployed with failOnError="true"."""


def _elements(cell: Any) -> list[Any] | None:
    if cell is None:
        return None
    if isinstance(cell, float) and pd.isna(cell):
        return None
    return list(cell)


def answer_batch(target: UdfTarget, column: pd.Series) -> pd.Series:
    """The UDF body: one pool call for the whole batch; row ``i`` gets the responses to its requests."""
    rows = [_elements(cell) for cell in column]
    flat = [str(e) for row in rows if row is not None for e in row if e is not None]

    def ask_pool(requests: list[LLMRequest]) -> list[dict[str, Any]]:
        from byzer_engine.runtime.ray_connect import ensure_ray

        ensure_ray(target.ray_address)
        owner, job, group = task_identity()
        return metered_call(
            target.name,
            requests,
            owner=owner,
            job=job,
            group=group,
            limits=target.limits,
            timeout_s=target.timeout_s,
            capacity=target.capacity,
        )

    # Each element is parsed and checked here, where it enters: a bad one is answered without Ray.
    responses = answer_parsed(flat, ask_pool)
    if target.fail_on_error:
        failed = next((r for r in responses if "error" in r), None)
        if failed is not None:
            raise LLMRequestFailed(
                f"LLM function '{target.name}' failed on a request (failOnError=true): {failed['error']}"
            )
    answers = iter(json.dumps(r, ensure_ascii=False) for r in responses)
    out: list[list[str | None] | None] = []
    for row in rows:
        if row is None:
            out.append(None)
        else:
            out.append([None if e is None else next(answers) for e in row])
    return pd.Series(out, index=column.index, dtype=object)


def task_identity() -> tuple[str, str, str]:
    """The owner, job name and Spark job group of the Spark task running this code (empty outside a
    script's job)."""
    from pyspark import TaskContext

    context = TaskContext.get()
    if context is None:
        return "", "", ""
    return (
        context.getLocalProperty(OWNER_PROPERTY) or "",
        context.getLocalProperty(JOB_NAME_PROPERTY) or "",
        context.getLocalProperty(JOB_GROUP_PROPERTY) or "",
    )


def make_udf(target: UdfTarget) -> Any:
    from pyspark.sql.functions import pandas_udf
    from pyspark.sql.types import ArrayType, StringType

    def call_model(requests: pd.Series) -> pd.Series:
        return answer_batch(target, requests)

    call_model.__name__ = target.name
    return pandas_udf(call_model, ArrayType(StringType()))  # type: ignore[call-overload]


def register_udf(spark: SparkSession, target: UdfTarget) -> None:
    """Register ``target.name`` as a function of this Spark session (replacing one of the same name)."""
    spark.udf.register(target.name, make_udf(target))


def unregister(spark: SparkSession, name: str) -> None:
    spark.sql(f"DROP TEMPORARY FUNCTION IF EXISTS `{name}`")
