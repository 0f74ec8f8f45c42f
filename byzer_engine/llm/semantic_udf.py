"""The semantic operators (``llm.semantic``) as Arrow-batched Spark SQL functions.

Each function's first argument names a deployed function (``'chat'``); the rows of a batch become one
pool call per named function (the master computes identical requests once). A row with a NULL
argument, a bad argument or a failed request gets NULL (the reason is logged by the Spark worker).
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from byzer_engine.llm.requests import LLMRequest, RequestError, parse_request
from byzer_engine.llm.semantic import SemanticFunction, semantic_functions
from byzer_engine.llm.structured import FormatError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SemanticTarget:
    """Where the functions find the pools; pickled into Spark's Python workers."""

    ray_address: str
    timeout_s: float | None = None


def _value(cell: Any) -> Any:
    if cell is None:
        return None
    if hasattr(cell, "tolist") and not isinstance(cell, str):
        return cell.tolist()
    if isinstance(cell, float) and pd.isna(cell):
        return None
    return cell


def _ask(target: SemanticTarget, name: str, requests: list[LLMRequest]) -> list[dict[str, Any]]:
    from byzer_engine.llm.pool.client import call
    from byzer_engine.runtime.ray_connect import ensure_ray

    ensure_ray(target.ray_address)
    return call(name, requests, timeout_s=target.timeout_s)


def _read(op: SemanticFunction, request: LLMRequest, response: dict[str, Any]) -> Any:
    if "error" in response:
        log.warning("%s: a row's request failed: %s", op.name, response["error"])
        return None
    output = response.get("output")
    try:
        return op.read(json.loads(str(output)) if request.schema is not None else output)
    except (ValueError, KeyError, TypeError) as exc:
        log.warning("%s: an answer could not be read: %s", op.name, exc)
        return None


def answer_rows(target: SemanticTarget, op: SemanticFunction, columns: list[pd.Series]) -> pd.Series:
    """The UDF body: each row's request, one pool call per deployed function named in the batch."""
    rows = [[_value(c) for c in cells] for cells in zip(*columns, strict=True)]
    out: list[Any] = [None] * len(rows)
    pending: dict[str, list[tuple[int, LLMRequest]]] = defaultdict(list)
    for index, row in enumerate(rows):
        if not row or any(v is None for v in row):
            continue
        try:
            pending[str(row[0])].append((index, parse_request(op.request(row[1:]))))
        except (FormatError, RequestError) as exc:
            log.warning("%s: a row's arguments were refused: %s", op.name, exc)
    for name, items in pending.items():
        requests = [r for _, r in items]
        for (index, request), response in zip(items, _ask(target, name, requests), strict=True):
            out[index] = _read(op, request, response)
    return pd.Series(out, index=columns[0].index if columns else None, dtype=object)


def make_semantic_udf(target: SemanticTarget, op: type[SemanticFunction]) -> Any:
    from pyspark.sql.functions import pandas_udf

    operator = op()

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
