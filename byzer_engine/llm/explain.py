"""EXPLAIN of the LLM functions in a query (the ``byzer_engine.call_explainers`` entry point).

For each call of a deployed function (``chat(...)``) or a semantic operator (``llm_filter('chat',
...)``), the rows it would see are read from the query below the call (``runtime.explain.plans``),
turned into requests exactly as the UDF would (same parsing, same operator prompts), and deduplicated
by the key the pool master dedups and caches by. The pool master then answers, computing nothing,
how many are cached, the input tokens of a sample (its worker's tokenizer) and its measured seconds
per request. No model generates anything.

A call whose input comes from another LLM call is not counted (that would need the other call's
answers); an aggregate (``llm_agg``) is counted in rows and groups only, since how many requests its
reduction makes depends on the answers.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from byzer_engine.llm.requests import LLMRequest, RequestError, parse_elements, parse_request
from byzer_engine.llm.structured import FormatError
from byzer_engine.runtime.explain.calls import CallEstimate, PythonCall

log = logging.getLogger(__name__)

# Rows read per call: beyond this, counts are scaled from the rows read (and the note says so).
MAX_ROWS = 200_000
# Requests whose input tokens are counted exactly; the rest are estimated from their mean.
TOKEN_SAMPLE = 256
ESTIMATE_TIMEOUT_S = 120.0


def _cell(value: Any) -> Any:
    return value.tolist() if hasattr(value, "tolist") and not isinstance(value, str) else value


class LLMCallExplainer:
    def estimate(self, call: PythonCall) -> list[CallEstimate] | None:
        import ray

        if not ray.is_initialized():
            return None  # nothing is deployed from this process: no call can be a model's
        from byzer_engine.llm.pool import client
        from byzer_engine.llm.semantic import semantic_functions

        operators = {op.name: op for op in semantic_functions()}
        pools = set(client.pool_names())
        if call.name not in pools and call.name not in operators:
            return None
        model_functions = pools | set(operators)
        upstream = sorted({name for name in call.below if name in model_functions})
        if upstream:
            return [
                CallEstimate(
                    function=call.name,
                    model=call.name if call.name in pools else None,
                    note=f"its input comes from {', '.join(upstream)}: not counted without running that call",
                )
            ]
        if call.arguments is None:
            return [CallEstimate(function=call.name, note="its arguments cannot be read from the plan")]
        rows = [[_cell(v) for v in row] for row in call.arguments.limit(MAX_ROWS + 1).collect()]
        total = len(rows)
        scale_note = ""
        if total > MAX_ROWS:
            total = call.arguments.count()
            rows = rows[:MAX_ROWS]
            scale_note = f"counted on the first {MAX_ROWS} of {total} rows and scaled"
        if call.name in pools:
            return [_estimate(call.name, call.name, total, _plain_requests(rows), len(rows), scale_note)]
        op = operators[call.name]
        if op.aggregate:
            groups = len({tuple(map(str, row[3:])) for row in rows})
            return [
                CallEstimate(
                    function=call.name,
                    model=", ".join(sorted({str(r[0]) for r in rows if r and r[0] is not None})) or None,
                    rows=total,
                    note=f"reduces {groups} group(s); how many requests depends on the group sizes and the answers",
                )
            ]
        by_model = _operator_requests(op(), rows)
        if not by_model:
            return [CallEstimate(function=call.name, rows=total, requests=0, note="no row makes a request")]
        return [
            _estimate(call.name, model, total, requests, len(rows), scale_note)
            for model, requests in sorted(by_model.items())
        ]


def _plain_requests(rows: list[list[Any]]) -> tuple[list[LLMRequest], int]:
    """The requests of a deployed function's rows (each an array of requests), and how many are bad."""
    items = [e for row in rows if row and row[0] is not None for e in row[0] if e is not None]
    parsed, failed = parse_elements([str(e) for e in items])
    return [r for r in parsed if r is not None], len(failed)


def _operator_requests(op: Any, rows: list[list[Any]]) -> dict[str, tuple[list[LLMRequest], int]]:
    """A semantic operator's requests by the deployed function each row names (as its UDF builds them)."""
    found: dict[str, list[LLMRequest]] = defaultdict(list)
    bad: dict[str, int] = defaultdict(int)
    for row in rows:
        if not row or any(v is None for v in row):
            continue
        try:
            found[str(row[0])].extend(parse_request(raw) for raw in op.requests(row[1:]))
        except (FormatError, RequestError):
            bad[str(row[0])] += 1
    return {name: (found[name], bad[name]) for name in set(found) | set(bad)}


def _estimate(
    function: str, model: str, rows: int, made: tuple[list[LLMRequest], int], read: int, scale_note: str
) -> CallEstimate:
    import ray
    from ray.exceptions import GetTimeoutError, RayActorError, RayTaskError

    from byzer_engine.llm.pool import client

    requests, refused = made
    scale = rows / read if read and rows > read else 1.0
    distinct: dict[str, LLMRequest] = {}
    for request in requests:
        distinct.setdefault(request.key, request)
    notes = [n for n in (scale_note,) if n]
    if refused:
        notes.append(f"{refused} request(s) would be refused before reaching the model")
    master = client.get_master(model)
    if master is None:
        notes.append(f"no model is deployed as '{model}'")
        return CallEstimate(
            function=function,
            model=model,
            rows=rows,
            requests=round(len(requests) * scale),
            distinct_requests=round(len(distinct) * scale),
            note="; ".join(notes),
        )
    try:
        answer: dict[str, Any] = ray.get(
            master.estimate.remote(list(distinct.values()), TOKEN_SAMPLE), timeout=ESTIMATE_TIMEOUT_S
        )
    except (GetTimeoutError, RayActorError, RayTaskError) as exc:
        notes.append(f"the pool did not answer: {exc}")
        answer = {"cached": None, "tokens": [], "seconds_per_request": None}
    cached = answer.get("cached")
    to_compute = len(distinct) - cached if cached is not None else None
    tokens = [t for t in answer.get("tokens") or [] if t is not None]
    input_tokens = 0 if to_compute == 0 else None
    if tokens and to_compute:
        exact = len(tokens) >= to_compute
        input_tokens = sum(tokens) if exact else round(sum(tokens) / len(tokens) * to_compute)
        if not exact:
            notes.append(f"input tokens from a sample of {len(tokens)} requests")
    rate = answer.get("seconds_per_request")
    seconds = round(rate * to_compute * scale, 3) if rate is not None and to_compute is not None else None
    if rate is None and to_compute:
        notes.append("no time estimate: the pool has not measured its throughput yet")
    return CallEstimate(
        function=function,
        model=model,
        rows=rows,
        requests=round(len(requests) * scale),
        distinct_requests=round(len(distinct) * scale),
        cached=round(cached * scale) if cached is not None else None,
        to_compute=round(to_compute * scale) if to_compute is not None else None,
        input_tokens=round(input_tokens * scale) if input_tokens is not None else None,
        seconds=seconds,
        note="; ".join(notes),
    )


EXPLAINER = LLMCallExplainer()
