"""Turns whatever a statement raised into a ``ByzerError`` that names the statement and the cause,
without JVM or Python stack traces."""

from __future__ import annotations

import re
from typing import Any

from byzer_engine.lang.errors import (
    ByzerError,
    ByzerJobKilled,
    ByzerRuntimeError,
    ByzerTimeout,
    Position,
)
from byzer_engine.lang.statements import Statement
from byzer_engine.runtime.executor.spark_positions import spark_position
from byzer_engine.runtime.jobs import RunningJob


def statement_position(statement: Statement, lines: list[str], file: str) -> Position:
    span = statement.span
    line_text = ""
    if span.file == file and 0 < span.line <= len(lines):
        line_text = lines[span.line - 1]
    return span.position(line_text)


def statement_label(statement: Statement) -> str:
    """What the statement is, in the user's words: its first word (``load``, ``select``, ``!desc``)."""
    words = statement.span.raw.strip().split(None, 1)
    return words[0].lower() if words else statement.kind


def _java_root_message(java_exception: Any) -> str:
    current = java_exception
    for _ in range(20):
        cause = current.getCause()
        if cause is None:
            break
        current = cause
    class_name = str(current.getClass().getSimpleName())
    message = current.getMessage()
    return f"{class_name}: {message}" if message else class_name


def clean_message(exc: BaseException) -> str:
    """The cause as one readable paragraph."""
    java_exception = getattr(exc, "java_exception", None)
    if java_exception is not None and type(exc).__name__ == "Py4JJavaError":
        try:
            return _tidy(_java_root_message(java_exception))
        except Exception:
            pass
    text = str(exc)
    if type(exc).__name__ == "PythonException":
        # The last line of the Python traceback is the error itself.
        lines = [line for line in text.splitlines() if line.strip()]
        error_lines = [line for line in lines if re.match(r"^\w+(\.\w+)*(Error|Exception)\b", line.strip())]
        return _tidy(error_lines[-1] if error_lines else lines[-1] if lines else type(exc).__name__)
    if not text:
        return type(exc).__name__
    if not re.match(r"^\[", text) and type(exc).__module__.startswith("builtins"):
        text = f"{type(exc).__name__}: {text}"
    return _tidy(text)


_SQLSTATE_TAIL = re.compile(r"\s*SQLSTATE: \w+(;.*)?$")


def _tidy(text: str) -> str:
    """The first line of a message: Spark's later lines are advice, plans and stack traces."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return text.strip()
    first = lines[0]
    return _SQLSTATE_TAIL.sub("", first).strip() or first


def as_byzer_error(
    exc: BaseException, statement: Statement, job: RunningJob, lines: list[str], file: str
) -> ByzerError:
    position = statement_position(statement, lines, file)
    raw = statement.span.raw
    if job.cancel_reason == "killed":
        return ByzerJobKilled(f"job '{job.info.job_name}' was killed", position, raw)
    if job.cancel_reason == "timeout":
        seconds = job.info.timeout_ms / 1000
        return ByzerTimeout(f"job '{job.info.job_name}' ran past its timeout of {seconds:g}s", position, raw)
    if isinstance(exc, ByzerError):
        if exc.position is not None:
            return exc
        if type(exc) is ByzerError:
            return ByzerRuntimeError(f"{statement_label(statement)} failed: {exc.message}", position, raw)
        exc.position = position
        return exc
    if statement.span.file == file:
        position = spark_position(exc, statement, lines) or position
    return ByzerRuntimeError(f"{statement_label(statement)} failed: {clean_message(exc)}", position, raw)
