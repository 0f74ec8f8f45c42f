"""``byzer run --explain``: the explain table as a readable report (``--format json|csv`` print it raw)."""

from __future__ import annotations

import sys
from typing import Any

_CALL_FIELDS = (
    ("rows", "{} rows"),
    ("requests", "{} requests"),
    ("distinct_requests", "{} distinct"),
    ("cached", "{} cached"),
    ("to_compute", "{} to compute"),
    ("input_tokens", "~{} input tokens"),
    ("seconds", "~{} s"),
)


def call_line(row: dict[str, Any]) -> str:
    parts = [f"{row['function']}" + (f" on model {row['model']}" if row.get("model") else "")]
    parts.extend(form.format(row[key]) for key, form in _CALL_FIELDS if row.get(key) is not None)
    line = ", ".join(parts)
    return line + (f" ({row['note']})" if row.get("note") else "")


def explain_report(rows: list[dict[str, Any]]) -> str:
    out: list[str] = []
    for row in rows:
        if row.get("function"):
            out.append(f"    LLM call: {call_line(row)}")
            continue
        out.append(f"[{row['step']}] line {row['line']}: {row['statement']}")
        out.append(f"    {row['action']}")
        if row.get("note"):
            out.append(f"    note: {row['note']}")
        if row.get("plan"):
            out.extend("      " + line for line in str(row["plan"]).splitlines())
    return "\n".join(out)


def print_explain(rows: list[dict[str, Any]]) -> None:
    sys.stdout.write(explain_report(rows) + "\n")
