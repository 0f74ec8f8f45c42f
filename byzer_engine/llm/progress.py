"""Progress of the LLM functions in a running query (the ``byzer_engine.progress_sources`` entry point).

Before a query runs, the requests each call of a deployed function (``chat(...)``) or of a semantic
operator (``llm_filter('chat', ...)``) will make are counted from the rows below the call, by a Spark
aggregate that runs no model: a deployed function's non-NULL array elements, an operator's rows with
no NULL argument times the requests it makes of a row. A call whose input comes from another LLM
call, or an aggregate (``llm_agg``, whose requests depend on the answers), has no total. What was
done comes from the usage ledger, which records each chunk of requests under the Spark job group of
the query that sent it (``llm.usage``).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from byzer_engine.runtime.explain.calls import PythonCall
from byzer_engine.runtime.progress.sources import Activity


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


class LLMProgressSource:
    def functions(self) -> Collection[str]:
        import ray

        if not ray.is_initialized():
            return set()  # nothing is deployed from this process: no call can be a model's
        from byzer_engine.llm.pool import client

        pools = set(client.pool_names())
        if not pools:
            return set()
        from byzer_engine.llm.semantic import semantic_functions

        return pools | {op.name for op in semantic_functions()}

    def count(self, call: PythonCall, functions: Collection[str]) -> int | None:
        if call.arguments is None or call.aggregate or any(name in functions for name in call.below):
            return None
        from byzer_engine.llm.semantic import semantic_functions

        operators = {op.name: op for op in semantic_functions()}
        columns = [_quoted(c) for c in call.arguments.columns]
        if call.name in operators:
            op = operators[call.name]
            if op.aggregate:
                return None
            rows = call.arguments.where(" and ".join(f"{c} is not null" for c in columns)).count()
            return int(rows) * op.requests_per_row
        if not columns:
            return 0
        first = columns[0]
        counted: Any = call.arguments.selectExpr(
            f"sum(case when {first} is null then 0 else size(filter({first}, x -> x is not null)) end) as n"
        ).first()
        return int(counted["n"] or 0) if counted is not None else 0

    def activity(self, groups: list[str]) -> dict[str, Activity]:
        from byzer_engine.llm import usage

        return {
            group: Activity(
                requests=int(values["requests"]),
                output_tokens=int(values["output_tokens"]),
                first_started=float(values["first_started"]),
                last_finished=float(values["last_finished"]),
            )
            for group, values in usage.activity(groups).items()
        }


SOURCE = LLMProgressSource()
