"""The plugin contract of EXPLAIN's function-call estimators (``byzer_engine.call_explainers``).

An estimator is an object (the entry point's value) with ``estimate(call) -> list[CallEstimate] |
None``: ``None`` when the call is not one of its functions. The LLM functions' estimator lives in
``byzer_engine.llm.explain``; the runtime knows nothing of models.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from byzer_engine.plugins import loaded_entry_points

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


CALL_EXPLAINER_GROUP = "byzer_engine.call_explainers"


@dataclass(frozen=True)
class PythonCall:
    """One Python UDF in a query: its name, a DataFrame of the argument values of every row it would
    see (``None`` where they cannot be built), the Python UDFs computed below it, and whether it is an
    aggregate (``grouping``: the SQL of its GROUP BY expressions)."""

    name: str
    arguments: DataFrame | None
    below: tuple[str, ...] = ()
    aggregate: bool = False
    grouping: tuple[str, ...] = ()


@dataclass(frozen=True)
class CallEstimate:
    """What one function call in a query would cost; ``None`` where it cannot be known beforehand."""

    function: str
    model: str | None = None
    rows: int | None = None
    requests: int | None = None
    distinct_requests: int | None = None
    cached: int | None = None
    to_compute: int | None = None
    input_tokens: int | None = None
    seconds: float | None = None
    note: str = ""


class CallExplainer(Protocol):
    def estimate(self, call: PythonCall) -> list[CallEstimate] | None: ...


def explainers() -> list[CallExplainer]:
    return list(loaded_entry_points(CALL_EXPLAINER_GROUP))


def estimate_calls(calls: list[PythonCall]) -> list[CallEstimate]:
    """Each call's estimate, from the first explainer that knows its function; others are skipped."""
    estimates: list[CallEstimate] = []
    known = explainers()
    for call in calls:
        for explainer in known:
            found = explainer.estimate(call)
            if found is not None:
                estimates.extend(found)
                break
    return estimates
