"""Spark's own position of an error, moved into the script: ``select`` at line 3 whose column
``nope`` Spark finds at offset 12 of the query reports line 3, column 13 (not the statement start)."""

from __future__ import annotations

import re
from typing import Any

from byzer_engine.lang.errors import Position
from byzer_engine.lang.statements import Statement

_LINE_POS = re.compile(r"line (\d+),? pos(?:ition)? (\d+)", re.IGNORECASE)


def _spark_offset(exc: BaseException, sql: str) -> int | None:
    """The 0-based offset in ``sql`` that Spark named, if it named one."""
    get_context: Any = getattr(exc, "getQueryContext", None)
    if callable(get_context):
        try:
            contexts = get_context()
            for context in contexts or ():
                start = int(context.startIndex())
                if 0 <= start < len(sql):
                    return start
        except Exception:
            pass
    match = _LINE_POS.search(str(exc))
    if match:
        line, pos = int(match.group(1)), int(match.group(2))
        lines = sql.split("\n")
        if 1 <= line <= len(lines):
            return sum(len(text) + 1 for text in lines[: line - 1]) + pos
    return None


def spark_position(exc: BaseException, statement: Statement, lines: list[str]) -> Position | None:
    """Where in the script Spark's error points, when the statement's SQL sits in its text as written."""
    sql = getattr(statement, "sql", None)
    if not isinstance(sql, str) or not sql:
        return None
    raw = statement.span.raw
    start = raw.find(sql)
    offset = _spark_offset(exc, sql)
    if start < 0 or offset is None:
        return None
    before = raw[: start + offset]
    line = statement.span.line + before.count("\n")
    column = (len(before) - before.rfind("\n")) if "\n" in before else statement.span.column + len(before)
    line_text = lines[line - 1] if 0 < line <= len(lines) else ""
    return Position(statement.span.file, line, column, line_text)
