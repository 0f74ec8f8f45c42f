"""OpenAI requests to the engine's typed LLM request (``LLMRequest``), and answers back.

The request is built and checked here, where it enters, with the same constructor the SQL function
uses (``make_request``); its typed fields travel to the model unchanged. An answer is ``{"output",
"metadata": {"input_tokens", "output_tokens"}}``.
"""

from __future__ import annotations

from typing import Any

from byzer_engine.llm.requests import LLMRequest, Message, RequestError, make_request
from byzer_engine.llm.structured import FormatError, parse_response_format
from byzer_engine.server.openai_compat.protocol import (
    AssistantMessage,
    ChatChoice,
    ChatCompletion,
    ChatCompletionRequest,
    Completion,
    CompletionChoice,
    CompletionRequest,
    SamplingFields,
    Usage,
)

_SYSTEM_ROLES = ("system", "developer")


class UnsupportedRequest(ValueError):
    """A request the engine cannot serve as asked (reported as a 400 ``invalid_request_error``)."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


def _sampling(fields: SamplingFields, max_tokens: int | None) -> dict[str, Any]:
    if fields.n != 1:
        raise UnsupportedRequest("only n=1 is supported", param="n")
    stops = [fields.stop] if isinstance(fields.stop, str) else list(fields.stop or [])
    return {
        "max_new_tokens": max_tokens,
        "temperature": fields.temperature,
        "top_p": fields.top_p,
        "stop": tuple(s for s in stops if s),
    }


def _checked(instruction: str, **fields: Any) -> LLMRequest:
    try:
        return make_request(instruction, **fields)
    except RequestError as exc:
        raise UnsupportedRequest(str(exc)) from None


def chat_request(req: ChatCompletionRequest) -> LLMRequest:
    system = [m.text() for m in req.messages if m.role in _SYSTEM_ROLES]
    conversation = [m for m in req.messages if m.role not in _SYSTEM_ROLES]
    if not conversation or conversation[-1].role != "user":
        raise UnsupportedRequest("the last message must be a user message", param="messages")
    return _checked(
        conversation[-1].text(),
        history=tuple(Message(m.role, m.text()) for m in conversation[:-1]),
        system_msg="\n\n".join(system) or None,
        response_format=_response_format(req.response_format),
        **_sampling(req, req.max_completion_tokens or req.max_tokens),
    )


def _response_format(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """The JSON schema of OpenAI's ``response_format`` (None for ``{"type": "text"}`` or none)."""
    if value is None or value.get("type") == "text":
        return None
    try:
        return parse_response_format(value)
    except FormatError as exc:
        raise UnsupportedRequest(str(exc), param="response_format") from None


def completion_requests(req: CompletionRequest) -> list[LLMRequest]:
    prompts = [req.prompt] if isinstance(req.prompt, str) else list(req.prompt)
    if not prompts:
        raise UnsupportedRequest("prompt must not be empty", param="prompt")
    # OpenAI's default for completions is 16 new tokens.
    max_tokens = req.max_tokens if req.max_tokens is not None else 16
    return [_checked(prompt, **_sampling(req, max_tokens)) for prompt in prompts]


def output_text(response: dict[str, Any]) -> str:
    if "error" in response:  # the request failed on its own (bad field, prompt too long ...)
        raise UnsupportedRequest(f"the model could not answer: {response['error']}")
    output = response.get("output", "")
    if isinstance(output, list):  # an embedding answer; chat models answer text
        raise UnsupportedRequest("this model returns embeddings, not text", param="model")
    return "" if output is None else str(output)


def _tokens(response: dict[str, Any], key: str) -> int:
    metadata = response.get("metadata") or {}
    try:
        return int(metadata.get(key) or 0)
    except (TypeError, ValueError):
        return 0


def finish_reason(response: dict[str, Any], max_tokens: int | None) -> str:
    metadata = response.get("metadata") or {}
    reason = metadata.get("finish_reason")
    if reason in ("stop", "length"):
        return str(reason)
    if max_tokens is not None and _tokens(response, "output_tokens") >= max_tokens:
        return "length"
    return "stop"


def usage(responses: list[dict[str, Any]]) -> Usage:
    prompt = sum(_tokens(r, "input_tokens") for r in responses)
    completion = sum(_tokens(r, "output_tokens") for r in responses)
    return Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion)


def chat_completion(req: ChatCompletionRequest, response: dict[str, Any]) -> ChatCompletion:
    max_tokens = req.max_completion_tokens or req.max_tokens
    choice = ChatChoice(
        index=0,
        message=AssistantMessage(content=output_text(response)),
        finish_reason=finish_reason(response, max_tokens),
    )
    return ChatCompletion(model=req.model, choices=[choice], usage=usage([response]))


def completion(req: CompletionRequest, prompts: list[str], responses: list[dict[str, Any]]) -> Completion:
    max_tokens = req.max_tokens if req.max_tokens is not None else 16
    choices = [
        CompletionChoice(
            index=i,
            text=(prompt if req.echo else "") + output_text(response),
            finish_reason=finish_reason(response, max_tokens),
        )
        for i, (prompt, response) in enumerate(zip(prompts, responses, strict=True))
    ]
    return Completion(model=req.model, choices=choices, usage=usage(responses))
