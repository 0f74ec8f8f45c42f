"""Errors as JSON: every failure the server answers is ``{"kind", "message", "file", "line", "column"}``.

Status codes: 400 for bad requests and for scripts that fail (syntax or runtime errors of the script),
401/403 for auth, 408 for timeouts, 499 for killed jobs, 500 only for faults of the engine itself (an
exception outside the ByzerError family), whose traceback goes to the server log, never to the client.
"""

from __future__ import annotations

import json
import logging
import math
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from byzer_engine.lang.errors import (
    ByzerAuthError,
    ByzerError,
    ByzerJobKilled,
    ByzerTimeout,
)
from byzer_engine.runtime.driver import SparkDriverLost

log = logging.getLogger("byzer_engine.server")

STATUS_KILLED = 499  # nginx's "client closed request": the job was cancelled on request


class SafeJSONResponse(JSONResponse):
    """JSON like Spark's writer: NaN and infinities become the strings Spark uses instead of failing."""

    def render(self, content: Any) -> bytes:
        return json_text(content).encode("utf-8")


def json_text(content: Any) -> str:
    try:
        return json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except ValueError:
        return json.dumps(_finite(content), ensure_ascii=False, separators=(",", ":"))


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


class BadRequest(ByzerError):
    """A request the server cannot act on (missing or malformed field)."""

    kind = "bad request"


class NotFound(ByzerError):
    kind = "not found"


class Unauthorized(ByzerAuthError):
    """No credentials at all (401); ``ByzerAuthError`` itself (wrong token, refused action) is 403."""


def status_for(error: ByzerError) -> int:
    if isinstance(error, Unauthorized):
        return 401
    if isinstance(error, ByzerAuthError):
        return 403
    if isinstance(error, ByzerTimeout):
        return 408
    if isinstance(error, ByzerJobKilled):
        return STATUS_KILLED
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, SparkDriverLost):
        return 503
    if isinstance(error, EngineFault):
        return 500
    # Syntax errors, bad requests and runtime errors of the script: the request has to change.
    return 400


class EngineFault(ByzerError):
    """Something broke inside the engine (not the script's fault): the only source of 500s."""

    kind = "internal error"


# Lines of JVM or Python stack traces that a message may have picked up from a cause.
_TRACE_LINE = re.compile(r"^\s+at [\w$.<>]+\(.*\)\s*$|^\s*\.\.\. \d+ more\s*$|^Traceback \(most recent call")


def clean_message(message: str, limit: int = 4000) -> str:
    """The message without stack-trace lines, cut to ``limit`` characters."""
    lines = message.splitlines()
    kept: list[str] = []
    for line in lines:
        if line.startswith("Traceback (most recent call"):
            break
        if _TRACE_LINE.match(line) or line.startswith('  File "'):
            continue
        kept.append(line)
    text = "\n".join(kept).strip() or "error"
    return text if len(text) <= limit else text[:limit] + " ..."


def error_body(error: ByzerError) -> dict[str, Any]:
    body = dict(error.to_dict())
    body["message"] = clean_message(str(body.get("message") or error.message))
    body["line_text"] = error.position.line_text if error.position and error.position.line_text else None
    statement = getattr(error, "statement", "")
    if statement:
        body["statement"] = statement
    return body


def error_response(error: ByzerError) -> SafeJSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(error, Unauthorized) else None
    return SafeJSONResponse(error_body(error), status_code=status_for(error), headers=headers)


def as_byzer_error(exc: BaseException) -> ByzerError:
    """Any exception as a ByzerError; unexpected ones become an EngineFault (logged with traceback)."""
    if isinstance(exc, ByzerError):
        return exc
    log.error("engine fault", exc_info=exc)
    first_line = (str(exc).strip().splitlines() or [""])[0]
    detail = f"{type(exc).__name__}: {first_line}" if first_line else type(exc).__name__
    return EngineFault(f"internal error ({clean_message(detail, 500)}); see the server log")


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query"))
        parts.append(f"{where}: {err.get('msg', 'invalid')}" if where else str(err.get("msg", "invalid")))
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ByzerError)
    async def _byzer_error(_: Request, exc: ByzerError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        message = _validation_message(exc)
        if request.url.path.startswith("/v1/"):  # the OpenAI-compatible routes answer in OpenAI's shape
            detail = {"message": message, "type": "invalid_request_error", "param": None, "code": None}
            return SafeJSONResponse({"error": detail}, status_code=400)
        return error_response(BadRequest(message))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = {404: "not found", 405: "method not allowed"}.get(exc.status_code, "bad request")
        if exc.status_code >= 500:
            kind = "internal error"
        body = {"kind": kind, "message": str(exc.detail), "file": None, "line": None, "column": None}
        return SafeJSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _fault(_: Request, exc: Exception) -> JSONResponse:
        return error_response(as_byzer_error(exc))
