"""The JSON request and response shapes shared by the SQL function, the HTTP server and the backends.

A request is one JSON object (``llm_param(map(...))`` builds it from a string map, so every value may
arrive as a string): ``instruction``, ``history``, ``system_msg``, ``max_length`` (new tokens),
``temperature``, ``top_p``, ``top_k``, ``embedding``, ``stopping_sequences`` and ``generation.*``
(passed through to the backend). A response is
``{"output", "input", "metadata": {"input_tokens", "output_tokens", ...}, "history"}``, or
``{"error", "input", "metadata"}`` for a request that failed on its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from byzer_engine.lang.booleans import is_true

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

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0.0


@dataclass(frozen=True)
class LLMRequest:
    raw: dict[str, Any]
    instruction: str
    history: tuple[Message, ...] = ()
    system_msg: str | None = None
    sampling: Sampling = field(default_factory=Sampling)
    embedding: bool = False

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


def parse_request(raw: dict[str, Any]) -> LLMRequest:
    """Check and type one request object; raises RequestError naming the offending field."""
    instruction = raw.get("instruction")
    if instruction is None:
        raise RequestError("request has no 'instruction'")
    max_length = _number(raw, "max_length", int)
    if max_length is not None and max_length < 1:
        raise RequestError(f"request field 'max_length' must be at least 1, got {max_length}")
    temperature = _number(raw, "temperature", float)
    extra = tuple(
        sorted(
            (key[len("generation.") :], _scalar(val))
            for key, val in raw.items()
            if key.startswith("generation.")
        )
    )
    sampling = Sampling(
        max_new_tokens=max_length or DEFAULT_MAX_NEW_TOKENS,
        temperature=temperature or 0.0,
        top_p=_number(raw, "top_p", float),
        top_k=_number(raw, "top_k", int),
        stop=_stops(raw.get("stopping_sequences")),
        extra=extra,
    )
    system_msg = raw.get("system_msg")
    return LLMRequest(
        raw=raw,
        instruction=str(instruction),
        history=_history(raw.get("history")),
        system_msg=str(system_msg) if system_msg else None,
        sampling=sampling,
        embedding=is_true(raw.get("embedding", "")),
    )


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
