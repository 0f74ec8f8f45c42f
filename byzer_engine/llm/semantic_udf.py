"""The semantic operators (``llm.semantic``) as Arrow-batched Spark SQL functions.

Each function's first argument names a deployed function (``'chat'``); the rows of a batch become one
pool call per named function (the master computes identical requests once). A row with a NULL
argument, a bad argument or a failed request gets NULL (the reason is logged by the Spark worker).
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from byzer_engine.llm.requests import LLMRequest, RequestError, parse_request
from byzer_engine.llm.semantic import SemanticFunction, semantic_functions
from byzer_engine.llm.semantic.aggregate import chunk_budget, reduce_group
from byzer_engine.llm.structured import FormatError
from byzer_engine.llm.usage import Limits, metered_call

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SemanticTarget:
    """Where the functions find the pools; pickled into Spark's Python workers."""

    ray_address: str
    timeout_s: float | None = None
    limits: Limits = field(default_factory=Limits)


def _value(cell: Any) -> Any:
    if cell is None:
        return None
    if hasattr(cell, "tolist") and not isinstance(cell, str):
        return cell.tolist()
    if isinstance(cell, float) and pd.isna(cell):
        return None
    return cell


def _ask(target: SemanticTarget, name: str, requests: list[LLMRequest]) -> list[dict[str, Any]]:
    from byzer_engine.llm.udf import task_identity
    from byzer_engine.runtime.ray_connect import ensure_ray

    ensure_ray(target.ray_address)
    owner, job, group = task_identity()
    return metered_call(
        name, requests, owner=owner, job=job, group=group, limits=target.limits, timeout_s=target.timeout_s
    )


def _answer(op: SemanticFunction, request: LLMRequest, response: dict[str, Any]) -> Any:
    """The answer of one response: parsed JSON for a structured request, else its output."""
    if "error" in response:
        raise ValueError(f"a request failed: {response['error']}")
    output = response.get("output")
    return json.loads(str(output)) if request.schema is not None else output


def answer_rows(target: SemanticTarget, op: SemanticFunction, columns: list[pd.Series]) -> pd.Series:
    """The UDF body: each row's requests, one pool call per deployed function named in the batch."""
    rows = [[_value(c) for c in cells] for cells in zip(*columns, strict=True)]
    out: list[Any] = [None] * len(rows)
    asked: dict[int, list[LLMRequest]] = {}
    pending: dict[str, list[LLMRequest]] = defaultdict(list)
    for index, row in enumerate(rows):
        if not row or any(v is None for v in row):
            continue
        try:
            requests = [parse_request(raw) for raw in op.requests(row[1:])]
        except (FormatError, RequestError) as exc:
            log.warning("%s: a row's arguments were refused: %s", op.name, exc)
            continue
        asked[index] = requests
        pending[str(row[0])].extend(requests)
    responses: dict[int, dict[str, Any]] = {}
    for name, requests in pending.items():
        for request, response in zip(requests, _ask(target, name, requests), strict=True):
            responses[id(request)] = response
    for index, requests in asked.items():
        try:
            out[index] = op.combine([_answer(op, r, responses[id(r)]) for r in requests])
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("%s: a row has no value: %s", op.name, exc)
    return pd.Series(out, index=columns[0].index if columns else None, dtype=object)


def aggregate_group(target: SemanticTarget, columns: list[pd.Series]) -> str | None:
    """The aggregate UDF body: the group's (name, instruction, text) rows reduced by ``reduce_group``."""
    rows = [[_value(c) for c in cells] for cells in zip(*columns, strict=True)]
    rows = [r for r in rows if len(r) == 3 and r[0] is not None and r[1] is not None and r[2] is not None]
    if not rows:
        return None
    name, instruction = str(rows[0][0]), str(rows[0][1])

    def ask(raws: list[dict[str, Any]]) -> list[str | None]:
        requests = [parse_request(raw) for raw in raws]
        answers: list[str | None] = []
        for response in _ask(target, name, requests):
            if "error" in response:
                log.warning("llm_agg: a request failed: %s", response["error"])
            answers.append(None if "error" in response else str(response.get("output")))
        return answers

    budget = chunk_budget(_context_of(target, name), instruction)
    return reduce_group(instruction, [str(r[2]) for r in rows], ask, budget)


# A pool's context, asked once per this long in a Python worker (not once per group).
CONTEXT_KEEP_S = 30.0
_contexts: dict[str, tuple[float, int | None]] = {}


def _context_of(target: SemanticTarget, name: str) -> int | None:
    """The deployed model's context in tokens (None when the pool does not say)."""
    import time

    from byzer_engine.llm.pool import client
    from byzer_engine.runtime.ray_connect import ensure_ray

    known = _contexts.get(name)
    if known is not None and time.monotonic() - known[0] < CONTEXT_KEEP_S:
        return known[1]
    ensure_ray(target.ray_address)
    info = client.describe(name)
    context = int(info["context"]) if info and info.get("context") else None
    _contexts[name] = (time.monotonic(), context)
    return context


def make_semantic_udf(target: SemanticTarget, op: type[SemanticFunction]) -> Any:
    from pyspark.sql.functions import pandas_udf

    operator = op()
    if op.aggregate:

        def reduce_operator(names: pd.Series, instructions: pd.Series, texts: pd.Series) -> str | None:
            return aggregate_group(target, [names, instructions, texts])

        reduce_operator.__name__ = op.name
        return pandas_udf(reduce_operator, op.return_type)  # type: ignore[call-overload]

    def call_operator(*columns: pd.Series) -> pd.Series:
        return answer_rows(target, operator, list(columns))

    call_operator.__name__ = op.name
    return pandas_udf(call_operator, op.return_type)  # type: ignore[call-overload]


def register_semantic(spark: SparkSession, target: SemanticTarget) -> list[str]:
    """Register (or refresh) every semantic operator in ``spark``'s session."""
    names = []
    for op in semantic_functions():
        spark.udf.register(op.name, make_semantic_udf(target, op))
        names.append(op.name)
    return names
