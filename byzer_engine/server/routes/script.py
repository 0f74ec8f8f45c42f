"""``POST /run/script``: run a script (or, with executeMode=analyze, parse it) through the Engine."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse

from byzer_engine.runtime import Result
from byzer_engine.server.auth import principal_of, require_token
from byzer_engine.server.callback_targets import check_callback_url_async
from byzer_engine.server.callbacks import deliver
from byzer_engine.server.errors import BadRequest, SafeJSONResponse, as_byzer_error, error_body, json_text
from byzer_engine.server.jobinfo import job_json, now_ms, requested_job_json
from byzer_engine.server.params import openapi_body, parse, read_params
from byzer_engine.server.protocol import AsyncAccepted, CallbackPayload, ErrorBody, RunScriptRequest
from byzer_engine.server.state import ServerState

log = logging.getLogger("byzer_engine.server")

router = APIRouter(dependencies=[Depends(require_token)], tags=["scripts"])

_EMPTY_SCHEMA: dict[str, Any] = {"type": "struct", "fields": []}

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "bad request, syntax error, or the script failed"},
    401: {"model": ErrorBody, "description": "token missing"},
    403: {"model": ErrorBody, "description": "wrong token, or an action this owner may not take"},
    408: {"model": ErrorBody, "description": "the job ran past its timeout and was cancelled"},
    499: {"model": ErrorBody, "description": "the job was killed"},
    500: {"model": ErrorBody, "description": "a fault of the engine itself"},
}


def result_body(result: Result | None, request: RunScriptRequest) -> Any:
    """The last table as JSON rows, or ``{"schema", "data"}`` with includeSchema."""
    rows: list[dict[str, Any]] = [] if result is None or request.silence else result.rows
    if not request.include_schema:
        return rows
    schema = _EMPTY_SCHEMA if result is None or request.silence else result.schema
    return {"schema": schema, "data": rows}


@router.post(
    "/run/script",
    summary="Run a Byzer script",
    description=(
        "Runs the script and answers the last table as a JSON array of rows (`[]` when the last "
        "statement makes no table). `executeMode=analyze` only parses it and answers the statements; "
        "`executeMode=explain` answers the explain table and runs nothing that computes or calls a model."
    ),
    openapi_extra=openapi_body(RunScriptRequest),
    responses={200: {"description": "the rows, or {schema, data}, or {jobName} for async"}, **_ERRORS},
)
async def run_script(request: Request) -> Response:
    state: ServerState = request.app.state.byzer
    req = parse(RunScriptRequest, await read_params(request))
    if req.run_async and not req.callback:
        raise BadRequest("when async is set true, a callback url is required")
    principal_of(request).require_owner(req.owner)
    engine = await state.engine()

    if req.execute_mode == "analyze":
        try:
            statements = await state.run_control(engine.analyze, req.sql, spark_check=req.spark_check)
        except Exception as exc:
            raise as_byzer_error(exc) from None
        return SafeJSONResponse(statements)

    job_name = req.job_name or str(uuid.uuid4())
    call: Callable[[], Result] = functools.partial(
        engine.run_script,
        req.sql,
        owner=req.owner,
        variables=req.context,
        job_name=job_name,
        job_type=req.job_type,
        timeout_s=req.timeout_s,
        # The server's cap wins over a larger outputSize.
        output_size=min(req.output_size, state.config.max_output_size),
        fetch_type=req.fetch_type,
        default_path_prefix=req.default_path_prefix or None,
        session_per_request=req.session_per_request,
        skip_include=req.skip_include,
        explain=req.execute_mode == "explain",
    )
    if req.run_async:
        assert req.callback is not None
        await check_callback_url_async(req.callback, state.config.allow_private_callbacks)
        state.spawn(_run_and_call_back(state, call, req, job_name))
        accepted = AsyncAccepted(jobName=job_name, owner=req.owner, callback=req.callback)
        return SafeJSONResponse(accepted.model_dump(by_alias=True))

    try:
        result = await _run_watching(state, request, call, job_name, req.owner)
    except Exception as exc:
        raise as_byzer_error(exc) from None
    response = rows_response(result_body(result, req))
    if result is not None and result.messages:
        response.headers[MESSAGES_HEADER] = messages_header(result.messages)
    return response


# The messages a script emitted (``!println``...), as a JSON list of strings in this header.
MESSAGES_HEADER = "X-Byzer-Messages"
_MESSAGES_MAX_CHARS = 16_000


def messages_header(messages: list[str]) -> str:
    """The header value: ASCII JSON of as many of the first messages as fit in 16,000 characters."""
    kept: list[str] = []
    size = 2
    for message in messages:
        size += len(json.dumps(message)) + 1
        if size > _MESSAGES_MAX_CHARS:
            break
        kept.append(message)
    return json.dumps(kept)


# Results of more rows than this are sent as a stream of JSON chunks, not one encoded body.
STREAM_ROWS = 2000
_DISCONNECT_POLL_S = 0.5


def rows_response(body: Any) -> Response:
    rows = body if isinstance(body, list) else None
    if rows is None or len(rows) <= STREAM_ROWS:
        return SafeJSONResponse(body)

    def chunks() -> Iterator[bytes]:
        yield b"["
        for start in range(0, len(rows), STREAM_ROWS):
            part = json_text(rows[start : start + STREAM_ROWS])[1:-1]
            yield (("," if start else "") + part).encode("utf-8")
        yield b"]"

    return StreamingResponse(chunks(), media_type="application/json")


async def _run_watching(
    state: ServerState, request: Request, call: Callable[[], Result], job_name: str, owner: str
) -> Result:
    """Runs the script; when the client goes away first (and the server says so), kills its job."""
    task = asyncio.ensure_future(state.run(call))
    if not state.config.cancel_on_disconnect:
        return await task
    while True:
        done, _ = await asyncio.wait({task}, timeout=_DISCONNECT_POLL_S)
        if done:
            return task.result()
        if await request.is_disconnected():
            engine = await state.engine()
            log.info("client of job %s went away: cancelling it", job_name)
            await state.run_control(engine.kill, job_name=job_name, owners=[owner])
            return await task


async def _run_and_call_back(
    state: ServerState, call: Callable[[], Result], req: RunScriptRequest, job_name: str
) -> None:
    started = now_ms()
    try:
        result = await state.run(call)
    except Exception as exc:
        error = as_byzer_error(exc)
        payload = CallbackPayload(
            stat="failed",
            msg=error_body(error)["message"],
            error=json.dumps(error_body(error)),
            jobInfo=json.dumps(requested_job_json(req, job_name, started, error.kind)),
        )
    else:
        payload = CallbackPayload(
            stat="succeeded",
            res=json_text(result_body(result, req)),
            jobInfo=json.dumps(job_json(result.job)),
        )
    assert req.callback is not None
    await deliver(
        req.callback,
        payload,
        max_retries=req.max_retries,
        backoff_s=state.settings.callback_backoff_s,
        timeout_s=state.settings.callback_timeout_s,
        allow_private=state.config.allow_private_callbacks,
    )
