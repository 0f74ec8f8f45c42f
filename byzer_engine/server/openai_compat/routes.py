"""``/v1/models``, ``/v1/chat/completions``, ``/v1/completions``: a thin layer over deployed models.

Errors use OpenAI's shape (``{"error": {"message", "type", "param", "code"}}``) so OpenAI clients
raise their usual exceptions. ``stream=true`` answers server-sent events, one chunk per text delta
the model produces, then ``data: [DONE]``.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

from byzer_engine.lang.errors import ByzerError
from byzer_engine.server.auth import principal_for
from byzer_engine.server.errors import Unauthorized, clean_message
from byzer_engine.server.openai_compat import mapping
from byzer_engine.server.openai_compat.models import DeployedModels
from byzer_engine.server.openai_compat.protocol import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    ChunkChoice,
    Completion,
    CompletionRequest,
    Delta,
    ErrorDetail,
    ErrorResponse,
    ModelCard,
    ModelList,
)
from byzer_engine.server.state import ServerState

log = logging.getLogger("byzer_engine.server")

PREFIX = "/v1"


class OpenAIError(Exception):
    def __init__(
        self, status: int, message: str, kind: str, *, param: str | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.detail = ErrorDetail(message=message, type=kind, param=param, code=code)


def openai_error_response(status: int, detail: ErrorDetail) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(ErrorResponse(error=detail).model_dump(), status_code=status, headers=headers)


def bad_request(message: str, param: str | None = None) -> OpenAIError:
    return OpenAIError(400, message, "invalid_request_error", param=param)


async def require_openai_token(request: Request) -> None:
    config = request.app.state.byzer.config
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    try:
        # Any valid token (admin or per-owner) may call the deployed models.
        presented = value.strip() if scheme.lower() == "bearer" and value.strip() else None
        principal_for(config.token, config.tokens, presented)
    except Unauthorized as exc:
        raise OpenAIError(401, exc.message, "authentication_error", code="missing_api_key") from None
    except ByzerError as exc:
        raise OpenAIError(401, exc.message, "authentication_error", code="invalid_api_key") from None


router = APIRouter(prefix=PREFIX, dependencies=[Depends(require_openai_token)], tags=["openai"])


def _models(request: Request) -> DeployedModels:
    models: DeployedModels = request.app.state.llm_models
    return models


async def _call(state: ServerState, fn: Callable[..., Any], *args: Any, control: bool = False) -> Any:
    try:
        if control:
            return await state.run_control(fn, *args)
        return await state.run(fn, *args)
    except mapping.UnsupportedRequest as exc:
        raise bad_request(str(exc), exc.param) from None
    except ByzerError as exc:
        raise OpenAIError(400, clean_message(exc.message), "invalid_request_error") from None
    except Exception as exc:
        log.error("model call failed", exc_info=exc)
        message = clean_message(f"{type(exc).__name__}: {exc}", 1000)
        raise OpenAIError(500, f"the model call failed: {message}", "server_error") from None


async def _require_model(request: Request, name: str) -> None:
    state: ServerState = request.app.state.byzer
    if await _call(state, _models(request).find, name, control=True) is None:
        raise OpenAIError(
            404,
            f"the model '{name}' is not deployed; deploy it with run command as LLM.`` where udfName=...",
            "invalid_request_error",
            param="model",
            code="model_not_found",
        )


@router.get("/models", response_model=ModelList, summary="Deployed models")
async def list_models(request: Request) -> JSONResponse:
    state: ServerState = request.app.state.byzer
    models = await _call(state, _models(request).list_models, control=True)
    cards = [
        ModelCard(id=str(m["name"]), backend=m.get("backend"), workers=m.get("workers"))
        for m in models
        if m.get("name")
    ]
    return JSONResponse(ModelList(data=cards).model_dump())


@router.post("/chat/completions", response_model=ChatCompletion, summary="Chat with a deployed model")
async def chat_completions(request: Request, body: ChatCompletionRequest) -> Any:
    state: ServerState = request.app.state.byzer
    try:
        engine_request = mapping.chat_request(body)
    except mapping.UnsupportedRequest as exc:
        raise bad_request(str(exc), exc.param) from None
    await _require_model(request, body.model)
    if body.stream:
        stream = _models(request).stream
        chunks = _chat_events(lambda: stream(body.model, engine_request), body)
        return StreamingResponse(chunks, media_type="text/event-stream", headers=_SSE_HEADERS)
    responses = await _call(state, _models(request).generate, body.model, [engine_request])
    return JSONResponse(mapping.chat_completion(body, responses[0]).model_dump())


@router.post("/completions", response_model=Completion, summary="Complete prompts with a deployed model")
async def completions(request: Request, body: CompletionRequest) -> Any:
    state: ServerState = request.app.state.byzer
    try:
        engine_requests = mapping.completion_requests(body)
    except mapping.UnsupportedRequest as exc:
        raise bad_request(str(exc), exc.param) from None
    await _require_model(request, body.model)
    prompts = [r.instruction for r in engine_requests]
    if body.stream:
        if len(engine_requests) != 1:
            raise bad_request("stream=true takes a single prompt", "prompt")
        stream = _models(request).stream
        events = _completion_events(lambda: stream(body.model, engine_requests[0]), body, prompts[0])
        return StreamingResponse(events, media_type="text/event-stream", headers=_SSE_HEADERS)
    responses = await _call(state, _models(request).generate, body.model, engine_requests)
    return JSONResponse(mapping.completion(body, prompts, responses).model_dump())


# -- server-sent events ---------------------------------------------------------------------------
_SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def _event(payload: dict[str, Any] | str) -> str:
    data = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return f"data: {data}\n\n"


@dataclass(frozen=True)
class _Piece:
    """One step of a model stream: a text delta, the finish reason at the end, or an error."""

    text: str = ""
    finish: str | None = None
    error: dict[str, Any] | None = None


def _pieces(open_stream: Callable[[], Iterator[str]], max_tokens: int | None) -> Iterator[_Piece]:
    """The deltas, then a finish piece; or an error piece if the model failed midway.

    Starlette iterates a sync generator on a worker thread, so the blocking model stream is fine
    here; closing the generator (client gone) closes the model stream, which cancels the request.
    """
    stream: Iterator[str] | None = None
    count = 0
    try:
        stream = open_stream()
        for delta in stream:
            if delta:
                count += 1
                yield _Piece(text=delta)
    except Exception as exc:
        log.error("streaming failed", exc_info=exc)
        message = exc.message if isinstance(exc, ByzerError) else f"{type(exc).__name__}: {exc}"
        detail = ErrorDetail(message=clean_message(message, 1000), type="server_error")
        yield _Piece(error=ErrorResponse(error=detail).model_dump())
        return
    finally:
        close = getattr(stream, "close", None)
        if callable(close):
            close()
    # Deltas approximate tokens: a stream that used the whole budget most likely stopped for length.
    yield _Piece(finish="length" if max_tokens is not None and count >= max_tokens else "stop")


def _chat_events(open_stream: Callable[[], Iterator[str]], body: ChatCompletionRequest) -> Iterator[str]:
    chunk_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())

    def chunk(delta: Delta, finish: str | None = None) -> str:
        choice = ChunkChoice(delta=delta, finish_reason=finish)
        payload = ChatCompletionChunk(id=chunk_id, created=created, model=body.model, choices=[choice])
        return _event(payload.model_dump(exclude_none=True))

    yield chunk(Delta(role="assistant", content=""))
    for piece in _pieces(open_stream, body.max_completion_tokens or body.max_tokens):
        if piece.error is not None:
            yield _event(piece.error)
        elif piece.finish is not None:
            yield chunk(Delta(), piece.finish)
        else:
            yield chunk(Delta(content=piece.text))
    yield _event("[DONE]")


def _completion_events(
    open_stream: Callable[[], Iterator[str]], body: CompletionRequest, prompt: str
) -> Iterator[str]:
    chunk_id, created = f"cmpl-{uuid.uuid4().hex}", int(time.time())

    def chunk(text: str, finish: str | None = None) -> str:
        choice = {"index": 0, "text": text, "finish_reason": finish, "logprobs": None}
        payload = {"id": chunk_id, "object": "text_completion", "created": created, "model": body.model}
        return _event({**payload, "choices": [choice]})

    if body.echo:
        yield chunk(prompt)
    for piece in _pieces(open_stream, body.max_tokens if body.max_tokens is not None else 16):
        if piece.error is not None:
            yield _event(piece.error)
        else:
            yield chunk(piece.text, piece.finish)
    yield _event("[DONE]")


def install(app: FastAPI, models: DeployedModels) -> None:
    app.state.llm_models = models
    app.include_router(router)

    @app.exception_handler(OpenAIError)
    async def _openai_error(_: Request, exc: OpenAIError) -> JSONResponse:
        return openai_error_response(exc.status, exc.detail)
