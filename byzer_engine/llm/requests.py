"""The JSON request and response shapes shared by the SQL function, the HTTP server and the backends.

A request is parsed and checked once, where it enters (the SQL function's UDF, an HTTP route), into
an ``LLMRequest``; that typed form is what crosses to the pool master and its workers, so a bad
request is answered before any Ray call. Its JSON form (``llm_param(map(...))`` builds it from a
string map, so every value may arrive as a string) is: ``instruction``, ``history``, ``system_msg``, ``max_length`` (new tokens),
``temperature``, ``top_p``, ``top_k``, ``embedding``, ``stopping_sequences``, ``response_format``
(a JSON schema or Spark DDL type the answer must follow; see ``llm.structured``) and
``generation.*`` (passed through to the backend). A response is
``{"output", "input", "metadata": {"input_tokens", "output_tokens", ...}, "history"}``, or
``{"error", "input", "metadata"}`` for a request that failed on its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from byzer_engine.booleans import is_true
from byzer_engine.llm.structured import FormatError, canonical_schema, check_output, parse_response_format

DEFAULT_MAX_NEW_TOKENS = 256


class RequestError(ValueError):
    """A request that cannot be served (bad field, prompt too long): becomes that row's error."""


@dataclass(frozen=True)
class Message:
    role: str
    content: str

    def to_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True)
class Sampling:
    """Generation settings; requests with equal settings can share one batched generate call."""

    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS
    temperature: float = 0.0
    top_p: float | None = None
    top_k: int | None = None
    stop: tuple[str, ...] = ()
    extra: tuple[tuple[str, Any], ...] = ()
    # The JSON schema the answer must follow (canonical JSON text), or None for free text.
    response_schema: str | None = None

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0.0


@dataclass(frozen=True)
class LLMRequest:
    # The request as sent (echoed back as the response's "input"; backend-specific fields such as
    # the QA backend's ``k`` are read from it).
    raw: dict[str, Any]
    instruction: str
    history: tuple[Message, ...] = ()
    system_msg: str | None = None
    sampling: Sampling = field(default_factory=Sampling)
    embedding: bool = False

    @property
    def schema(self) -> dict[str, Any] | None:
        """The JSON schema of a structured request (its ``response_format``), else None."""
        text = self.sampling.response_schema
        return None if text is None else dict(json.loads(text))

    @property
    def key(self) -> str:
        """Canonical text of the request: equal keys mean the model would be asked the same thing."""
        return request_key(self.raw)

    def messages(self) -> list[dict[str, str]]:
        """The chat messages: system message, history, then the instruction as the user's turn."""
        out: list[dict[str, str]] = []
        if self.system_msg:
            out.append({"role": "system", "content": self.system_msg})
        out.extend(m.to_dict() for m in self.history)
        out.append({"role": "user", "content": self.instruction})
        return out


def _scalar(value: Any) -> Any:
    """A string-map value as the JSON scalar it spells (``"0.1"`` -> 0.1, ``"true"`` -> True)."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _number(raw: dict[str, Any], key: str, kind: type) -> Any:
    value = raw.get(key)
    if value is None or value == "":
        return None
    try:
        return kind(float(value)) if kind is int else kind(value)
    except (TypeError, ValueError):
        raise RequestError(f"request field '{key}' must be a number, got {value!r}") from None


def _history(value: Any) -> tuple[Message, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise RequestError("request field 'history' must be a JSON list of messages") from None
    if not isinstance(value, list):
        raise RequestError("request field 'history' must be a list of {role, content} messages")
    messages: list[Message] = []
    for item in value:
        if isinstance(item, dict) and "role" in item and "content" in item:
            messages.append(Message(str(item["role"]), str(item["content"])))
        elif isinstance(item, dict) and ("user" in item or "assistant" in item):
            # The older pair form: {"user": ..., "assistant": ...}.
            if "user" in item:
                messages.append(Message("user", str(item["user"])))
            if "assistant" in item:
                messages.append(Message("assistant", str(item["assistant"])))
        else:
            raise RequestError(f"history entry {item!r} is not a {{role, content}} message")
    return tuple(messages)


def _stops(value: Any) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        parsed = _scalar(value) if value.lstrip().startswith("[") else value.split(",")
        value = parsed if isinstance(parsed, list) else [parsed]
    if not isinstance(value, list):
        raise RequestError("request field 'stopping_sequences' must be a list or a comma-separated string")
    return tuple(str(s) for s in value if str(s))


def make_request(
    instruction: str,
    *,
    history: tuple[Message, ...] = (),
    system_msg: str | None = None,
    max_new_tokens: int | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    top_k: int | None = None,
    stop: tuple[str, ...] = (),
    extra: tuple[tuple[str, Any], ...] = (),
    embedding: bool = False,
    response_format: dict[str, Any] | None = None,
    raw: dict[str, Any] | None = None,
) -> LLMRequest:
    """The one constructor of a checked request, for typed callers (an HTTP route) and for
    ``parse_request``; ``raw`` is the JSON form to echo (built from the fields when absent)."""
    if max_new_tokens is not None and max_new_tokens < 1:
        raise RequestError(f"request field 'max_length' must be at least 1, got {max_new_tokens}")
    if temperature is not None and temperature < 0:
        raise RequestError(f"request field 'temperature' must not be negative, got {temperature}")
    sampling = Sampling(
        max_new_tokens=max_new_tokens or DEFAULT_MAX_NEW_TOKENS,
        temperature=temperature or 0.0,
        top_p=top_p,
        top_k=top_k,
        stop=stop,
        extra=extra,
        response_schema=None if response_format is None else canonical_schema(response_format),
    )
    if raw is None:
        raw = {"instruction": instruction}
        if history:
            raw["history"] = [m.to_dict() for m in history]
        if system_msg:
            raw["system_msg"] = system_msg
        for key, value in (("max_length", max_new_tokens), ("temperature", temperature)):
            if value is not None:
                raw[key] = value
        for key, value in (("top_p", top_p), ("top_k", top_k)):
            if value is not None:
                raw[key] = value
        if stop:
            raw["stopping_sequences"] = list(stop)
        raw.update({f"generation.{k}": v for k, v in extra})
        if embedding:
            raw["embedding"] = True
        if response_format is not None:
            raw["response_format"] = response_format
    return LLMRequest(
        raw=raw,
        instruction=instruction,
        history=history,
        system_msg=system_msg or None,
        sampling=sampling,
        embedding=embedding,
    )


def parse_request(raw: dict[str, Any]) -> LLMRequest:
    """Check and type one request object; raises RequestError naming the offending field."""
    instruction = raw.get("instruction")
    if instruction is None:
        raise RequestError("request has no 'instruction'")
    extra = tuple(
        sorted(
            (key[len("generation.") :], _scalar(val))
            for key, val in raw.items()
            if key.startswith("generation.")
        )
    )
    system_msg = raw.get("system_msg")
    response_format = None
    if raw.get("response_format") not in (None, ""):
        try:
            response_format = parse_response_format(raw["response_format"])
        except FormatError as exc:
            message = str(exc)
            if "response_format" not in message:
                message = f"request field 'response_format': {message}"
            raise RequestError(message) from None
    return make_request(
        str(instruction),
        history=_history(raw.get("history")),
        system_msg=str(system_msg) if system_msg else None,
        max_new_tokens=_number(raw, "max_length", int),
        temperature=_number(raw, "temperature", float),
        top_p=_number(raw, "top_p", float),
        top_k=_number(raw, "top_k", int),
        stop=_stops(raw.get("stopping_sequences")),
        extra=extra,
        embedding=is_true(raw.get("embedding", "")),
        response_format=response_format,
        raw=raw,
    )


def parse_element(item: Any) -> LLMRequest:
    """One element of a request array (JSON text, plain text or a dict) as a checked request."""
    raw = decode_request(item) if isinstance(item, str) else item
    if not isinstance(raw, dict):
        raise RequestError(f"a request must be a JSON object or text, got {type(item).__name__}")
    return parse_request(dict(raw))


def parse_elements(items: list[Any]) -> tuple[list[LLMRequest | None], dict[int, dict[str, Any]]]:
    """Every element parsed: the requests (``None`` where one is bad) and the bad ones' responses."""
    parsed: list[LLMRequest | None] = []
    failed: dict[int, dict[str, Any]] = {}
    for index, item in enumerate(items):
        try:
            parsed.append(parse_element(item))
        except RequestError as exc:
            parsed.append(None)
            raw = decode_request(item) if isinstance(item, str) else item
            failed[index] = error_response(raw if isinstance(raw, dict) else {"input": str(item)}, str(exc))
    return parsed, failed


def answer_parsed(
    items: list[Any], answer: Callable[[list[LLMRequest]], list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Responses to ``items``: the bad ones answered here, the good ones by ``answer(requests)``
    (called only when there is at least one)."""
    parsed, failed = parse_elements(items)
    good = [r for r in parsed if r is not None]
    answered = iter(answer(good) if good else [])
    return [failed[i] if r is None else next(answered) for i, r in enumerate(parsed)]


def decode_request(text: str) -> dict[str, Any]:
    """One request element: a JSON object, or plain text taken as the instruction."""
    try:
        value = json.loads(text)
    except ValueError:
        return {"instruction": text}
    if isinstance(value, dict):
        return value
    return {"instruction": text}


def request_key(raw: dict[str, Any]) -> str:
    """Canonical text of a request: equal keys mean the model would be asked the same thing."""
    return json.dumps(raw, sort_keys=True, ensure_ascii=False, default=str)


def chat_response(
    request: LLMRequest, output: str, metadata: dict[str, Any], *, include_history: bool = True
) -> dict[str, Any]:
    """The response to a chat request; for a structured one, an error unless ``output`` follows its
    schema (so a row never carries an answer of the wrong shape)."""
    schema = request.schema
    if schema is not None:
        try:
            check_output(output, schema)
        except FormatError as exc:
            return error_response(request.raw, str(exc), {**metadata, "output": output})
    history = [m.to_dict() for m in request.history]
    history.append({"role": "user", "content": request.instruction})
    history.append({"role": "assistant", "content": output})
    response: dict[str, Any] = {"output": output, "input": request.raw, "metadata": metadata}
    if include_history:
        response["history"] = history
    return response


def embedding_response(request: LLMRequest, vector: list[float], metadata: dict[str, Any]) -> dict[str, Any]:
    return {"output": vector, "input": request.raw, "metadata": metadata}


def error_response(
    raw: dict[str, Any], message: str, metadata: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {"error": message, "input": raw, "metadata": metadata or {}}


def truncate_at_stop(text: str, stops: tuple[str, ...]) -> tuple[str, bool]:
    """Cut ``text`` at the first stop sequence; says whether one was found."""
    cut = min((i for i in (text.find(s) for s in stops) if i >= 0), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)
