"""The plugin contract of call progress (``byzer_engine.progress_sources``).

A source (the entry point's value) knows some SQL functions (the LLM package: the deployed models
and the semantic operators) and answers three questions:

- ``functions()``: the names of its functions callable now (empty: none, nothing to watch);
- ``count(call, functions)``: how many requests a call in a query about to run will make, read from
  the rows below the call (``runtime.explain.plans``) without running it; ``None`` when that cannot be
  known beforehand (its input comes from another such call, an aggregate whose requests depend on
  the answers);
- ``activity(groups)``: what the calls made by each Spark job group have done so far.

The runtime knows nothing of models; it sums what the sources say per job.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from byzer_engine.plugins import loaded_entry_points
from byzer_engine.runtime.explain.calls import PythonCall

PROGRESS_SOURCE_GROUP = "byzer_engine.progress_sources"


@dataclass(frozen=True)
class Activity:
    """Requests answered, output tokens generated, and when the first was sent and the last answered
    (epoch seconds)."""

    requests: int
    output_tokens: int
    first_started: float
    last_finished: float


class ProgressSource(Protocol):
    def functions(self) -> Collection[str]: ...

    def count(self, call: PythonCall, functions: Collection[str]) -> int | None: ...

    def activity(self, groups: list[str]) -> dict[str, Activity]: ...


def progress_sources() -> list[ProgressSource]:
    return list(loaded_entry_points(PROGRESS_SOURCE_GROUP))
