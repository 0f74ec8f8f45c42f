"""Validates every SQL body of a script with Spark's own parser, running nothing.

``byzer check --spark FILE`` and ``executeMode=analyze`` with ``sparkCheck=true``: each select's query,
each raw SQL statement (insert, create, ...) and each ``set ... type="sql"`` query is rendered with
the variables known without running anything (the built-ins, the caller's, the ``set`` text values)
and handed to Spark's SQL parser. A body Spark cannot parse is a syntax error at its place in the file;
valid Spark SQL is never rejected.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from byzer_engine.lang.errors import ByzerSyntaxError, Position
from byzer_engine.lang.statements import RawSql, Select, SetVar, Statement
from byzer_engine.lang.templating import render

# Spark's message: "... (line 1, pos 7)" (pos is 0-based).
_WHERE = re.compile(r"\(line (\d+), pos (\d+)\)")
_UNKNOWN_VARIABLE = re.compile(r"\$\{[^}]*\}|\$[A-Za-z_]\w*")
# Stands for a variable whose value is only known at run time.
PLACEHOLDER = "byzer_variable"

Parser = Callable[[str], None]


def sql_bodies(statements: list[Statement]) -> Iterator[tuple[Statement, str, int]]:
    """(statement, SQL text, offset of the text in the statement's raw text)."""
    for statement in statements:
        if isinstance(statement, (Select, RawSql)):
            yield statement, statement.sql, max(statement.span.raw.find(statement.sql[:20]), 0)
        elif isinstance(statement, SetVar) and statement.set_type == "sql":
            yield (
                statement,
                statement.value.strip().strip("`"),
                max(statement.span.raw.find(statement.value), 0),
            )


def _position(statement: Statement, offset: int, line: int, pos: int) -> Position:
    raw = statement.span.raw
    before = raw[:offset]
    base_line = statement.span.line + before.count("\n")
    base_column = (
        (len(before) - before.rfind("\n")) if "\n" in before else statement.span.column + len(before)
    )
    file_line = base_line + line - 1
    column = base_column + pos if line == 1 else pos + 1
    lines = raw.splitlines()
    index = file_line - statement.span.line
    text = lines[index] if 0 <= index < len(lines) else ""
    if index == 0:
        text = " " * (statement.span.column - 1) + text
    return Position(statement.span.file, file_line, column, text)


def _message(exc: BaseException) -> tuple[str, int, int]:
    text = str(exc)
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    first = re.sub(r"^.*?ParseException:\s*", "", first)
    first = re.sub(r"\s*SQLSTATE: \w+", "", first)
    match = _WHERE.search(text)
    return (
        _WHERE.sub("", first).strip().rstrip("."),
        int(match.group(1)) if match else 1,
        int(match.group(2)) if match else 0,
    )


def check_sql(
    statements: list[Statement], parse: Parser, variables: Mapping[str, str]
) -> list[ByzerSyntaxError]:
    """The Spark parse errors of the script's SQL bodies (empty when all parse)."""
    known = dict(variables)
    errors: list[ByzerSyntaxError] = []
    for statement in statements:
        if isinstance(statement, SetVar) and statement.set_type == "text":
            known[statement.key] = render(statement.value, known)
        elif isinstance(statement, SetVar) and statement.set_type == "defaultParam":
            known.setdefault(statement.key, render(statement.value, known))
    for statement, sql, offset in sql_bodies(statements):
        rendered = render(sql, known) if "$" in sql or "#" in sql else sql
        rendered = _UNKNOWN_VARIABLE.sub(PLACEHOLDER, rendered)
        try:
            parse(rendered)
        except Exception as exc:
            message, line, pos = _message(exc)
            position = (
                _position(statement, offset, line, pos) if rendered == sql else statement.span.position()
            )
            errors.append(ByzerSyntaxError(f"Spark SQL: {message}", position))
    return errors


def session_parser(spark: Any) -> Parser:
    """Spark's parser of a running session."""
    parser = spark._jsparkSession.sessionState().sqlParser()

    def parse(sql: str) -> None:
        parser.parsePlan(sql)

    return parse


def standalone_parser() -> Parser:
    """Spark's parser in a JVM of its own, with no Spark session (for ``byzer check``)."""
    from pyspark.java_gateway import launch_gateway

    gateway = launch_gateway()
    parser = gateway.jvm.org.apache.spark.sql.execution.SparkSqlParser()

    def parse(sql: str) -> None:
        parser.parsePlan(sql)

    return parse
