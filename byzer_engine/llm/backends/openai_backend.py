"""The ``saas/openai`` backend: any OpenAI-compatible chat-completions endpoint, over HTTP with httpx.

Deploy keys: ``saas.base_url`` (default ``https://api.openai.com/v1``), ``saas.api_key`` (else the
worker's ``OPENAI_API_KEY``), ``saas.model``, and optionally ``saas.embedding_model`` (default: the
same model). Client settings, from ``saas.*`` or ``backend.*``: ``timeout`` (seconds per HTTP call,
default 300), ``max_retries`` (default 3), ``concurrency`` (calls in flight per worker, default 8),
``backoff`` (first retry delay in seconds, default 0.5) and ``embedding_batch_size`` (default 32).

Each chat request is one ``POST {base_url}/chat/completions``, sent from a thread pool that every batch
of the worker shares, so at most ``concurrency`` calls are in flight. Connection errors, timeouts, 408,
429 and 5xx answers are retried with exponential backoff (a ``Retry-After`` or ``retry-after-ms``
header sets the wait); any other failure (a 4xx, an answer that is not a chat completion) becomes
that request's error response, never an exception. Embedding requests go to ``POST {base_url}/embeddings`` in chunks; a
chunk the endpoint refuses is retried one input at a time, so only the offending row fails.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from byzer_engine.lang.errors import ByzerError
from byzer_engine.llm.backends.base import Backend, BackendConfig, fail_all
from byzer_engine.llm.requests import (
    LLMRequest,
    chat_response,
    embedding_response,
    error_response,
    truncate_at_stop,
)

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_TIMEOUT_S = 300.0
DEFAULT_MAX_RETRIES = 3
DEFAULT_CONCURRENCY = 8
DEFAULT_BACKOFF_S = 0.5
DEFAULT_EMBEDDING_BATCH = 32
MAX_BACKOFF_S = 30.0
MAX_RETRY_AFTER_S = 60.0
RETRYABLE_STATUS = frozenset({408, 429})


class EndpointError(RuntimeError):
    """A failed call to the endpoint; ``retryable`` says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


@dataclass(frozen=True)
class ClientSettings:
    base_url: str
    api_key: str | None
    model: str
    embedding_model: str
    timeout_s: float
    max_retries: int
    concurrency: int
    backoff_s: float
    embedding_batch_size: int


def _setting(config: BackendConfig, key: str, kind: type, default: float, minimum: float) -> Any:
    raw = config.saas.get(key) or config.options.get(key)
    if raw is None or str(raw).strip() == "":
        return kind(default)
    try:
        value = kind(float(raw)) if kind is int else kind(raw)
    except (TypeError, ValueError):
        raise ByzerError(f"saas.{key} must be a number, got {raw!r}") from None
    if value < minimum:
        raise ByzerError(f"saas.{key} must be at least {minimum:g}, got {raw!r}")
    return value


def client_settings(config: BackendConfig) -> ClientSettings:
    """The endpoint and client settings of a deploy, checked; errors name the offending key."""
    base_url = (config.saas.get("base_url") or DEFAULT_BASE_URL).strip().rstrip("/")
    if not base_url.startswith(("http://", "https://")):
        raise ByzerError(f"saas.base_url must be an http(s) URL, got {base_url!r}")
    model = (config.saas.get("model") or config.model_name or "").strip()
    if not model:
        raise ByzerError("saas.model is required: the name of the model the endpoint serves")
    api_key = config.saas.get("api_key") or os.environ.get("OPENAI_API_KEY") or None
    return ClientSettings(
        base_url=base_url,
        api_key=api_key,
        model=model,
        embedding_model=(config.saas.get("embedding_model") or model).strip(),
        timeout_s=_setting(config, "timeout", float, DEFAULT_TIMEOUT_S, 0.001),
        max_retries=_setting(config, "max_retries", int, DEFAULT_MAX_RETRIES, 0),
        concurrency=_setting(config, "concurrency", int, DEFAULT_CONCURRENCY, 1),
        backoff_s=_setting(config, "backoff", float, DEFAULT_BACKOFF_S, 0),
        embedding_batch_size=_setting(config, "embedding_batch_size", int, DEFAULT_EMBEDDING_BATCH, 1),
    )


def retry_after_seconds(value: str | None) -> float | None:
    """A ``Retry-After`` header (seconds, or an HTTP date) as seconds to wait, capped; None if absent."""
    if not value:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(text).timestamp() - time.time()
        except (TypeError, ValueError, IndexError):
            return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


def _retry_after(headers: httpx.Headers) -> float | None:
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return min(max(float(milliseconds) / 1000, 0.0), MAX_RETRY_AFTER_S)
        except ValueError:
            pass
    return retry_after_seconds(headers.get("retry-after"))


def backoff_delay(attempt: int, base_s: float, retry_after: float | None) -> float:
    """Seconds to wait before retry number ``attempt + 1``: the server's word, else 2^attempt * base."""
    if retry_after is not None:
        return retry_after
    return min(base_s * (2**attempt), MAX_BACKOFF_S) * random.uniform(0.8, 1.2)


def _error_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:500] or response.reason_phrase
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    if isinstance(error, str):
        return error
    if isinstance(body, dict) and body.get("detail"):
        return str(body["detail"])[:500]
    return json.dumps(body)[:500]


def status_error(response: httpx.Response) -> EndpointError:
    status = response.status_code
    return EndpointError(
        f"the endpoint answered {status}: {_error_message(response)}",
        retryable=status in RETRYABLE_STATUS or status >= 500,
        retry_after=_retry_after(response.headers),
    )


def _json_body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise EndpointError(
            f"the endpoint's answer is not JSON: {response.text[:200]!r}", retryable=False
        ) from None
    if not isinstance(body, dict):
        raise EndpointError(f"the endpoint's answer is not a JSON object: {str(body)[:200]}", retryable=False)
    return body


def _usage(data: dict[str, Any], key: str) -> int | None:
    """A token count from the answer's ``usage`` (None when the endpoint reports none)."""
    usage = data.get("usage")
    value = usage.get(key) if isinstance(usage, dict) else None
    return int(value) if isinstance(value, int | float) else None


class OpenAIBackend(Backend):
    name = "saas/openai"
    aliases = ("saas",)
    serves_kinds = ("saas",)
    infer_backend_names = ("saas",)
    uses_local_compute = False
    loads_local_model = False
    streams = True
    embeds = True

    @classmethod
    def model_label(cls, options: Any) -> str | None:
        return str(options.saas.get("model", ""))

    def __init__(self, config: BackendConfig) -> None:
        self.settings = client_settings(config)
        headers = {"User-Agent": "byzer-engine"}
        if self.settings.api_key:
            headers["Authorization"] = f"Bearer {self.settings.api_key}"
        limits = httpx.Limits(
            max_connections=self.settings.concurrency + 2,
            max_keepalive_connections=self.settings.concurrency,
        )
        self.http = httpx.Client(
            headers=headers, timeout=httpx.Timeout(self.settings.timeout_s), limits=limits
        )
        self.pool = ThreadPoolExecutor(self.settings.concurrency, thread_name_prefix="saas-openai")
        self._closed = threading.Event()

    def describe(self) -> dict[str, Any]:
        s = self.settings
        return {
            "backend": self.name,
            "model": s.model,
            "base_url": _without_credentials(s.base_url),
            "concurrency": s.concurrency,
            "max_retries": s.max_retries,
            "timeout_s": s.timeout_s,
        }

    # -- HTTP with retries -------------------------------------------------------------------------
    def _with_retries(self, url: str, call: Callable[[], httpx.Response]) -> tuple[httpx.Response, int]:
        """The first answer below 400, and how many attempts it took; raises the last EndpointError."""
        attempt = 0
        while True:
            try:
                response = call()
            except httpx.TransportError as exc:
                failure = EndpointError(
                    f"could not reach {url}: {type(exc).__name__}: {exc}".rstrip(": "),
                    retryable=not isinstance(exc, httpx.UnsupportedProtocol),
                )
            else:
                if response.status_code < 400:
                    return response, attempt + 1
                response.read()
                failure = status_error(response)
                response.close()
            if not failure.retryable or attempt >= self.settings.max_retries or self._closed.is_set():
                if attempt:
                    raise EndpointError(
                        f"{failure} (after {attempt + 1} attempts)", retryable=failure.retryable
                    )
                raise failure
            self._closed.wait(backoff_delay(attempt, self.settings.backoff_s, failure.retry_after))
            attempt += 1

    def post_json(self, path: str, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
        url = f"{self.settings.base_url}/{path}"
        response, attempts = self._with_retries(url, lambda: self.http.post(url, json=body))
        return _json_body(response), attempts

    # -- chat --------------------------------------------------------------------------------------
    def chat_body(self, request: LLMRequest, *, stream: bool = False) -> dict[str, Any]:
        sampling = request.sampling
        body: dict[str, Any] = {"max_tokens": sampling.max_new_tokens, "temperature": sampling.temperature}
        if sampling.top_p is not None:
            body["top_p"] = sampling.top_p
        if sampling.stop:
            body["stop"] = list(sampling.stop)
        body.update(dict(sampling.extra))
        schema = request.schema
        if schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "response", "schema": schema, "strict": True},
            }
        body.update(model=self.settings.model, messages=request.messages())
        if stream:
            body["stream"] = True
        return body

    def _chat_answer(
        self, request: LLMRequest, data: dict[str, Any], elapsed: float, attempts: int
    ) -> dict[str, Any]:
        try:
            choice = data["choices"][0]
            content = choice["message"].get("content")
        except (KeyError, IndexError, TypeError, AttributeError):
            raise EndpointError(
                f"the endpoint's answer has no choices[0].message: {json.dumps(data)[:300]}", retryable=False
            ) from None
        text, stopped = truncate_at_stop(str(content or ""), request.sampling.stop)
        metadata = {
            "input_tokens": _usage(data, "prompt_tokens"),
            "output_tokens": _usage(data, "completion_tokens"),
            "finish_reason": "stop" if stopped else choice.get("finish_reason"),
            "generation_time_s": round(elapsed, 4),
            "attempts": attempts,
            "model": data.get("model") or self.settings.model,
            "backend": self.name,
        }
        return chat_response(request, text.strip(), metadata)

    def _failure_metadata(self) -> dict[str, Any]:
        return {"model": self.settings.model, "backend": self.name}

    def chat(self, request: LLMRequest) -> dict[str, Any]:
        """One request's response; every failure becomes its error response."""
        started = time.perf_counter()
        try:
            data, attempts = self.post_json("chat/completions", self.chat_body(request))
            return self._chat_answer(request, data, time.perf_counter() - started, attempts)
        except EndpointError as exc:
            return error_response(request.raw, str(exc), self._failure_metadata())
        except Exception as exc:
            return error_response(
                request.raw, f"the call failed: {type(exc).__name__}: {exc}", self._failure_metadata()
            )

    # -- generate ----------------------------------------------------------------------------------
    def generate(self, requests: list[LLMRequest]) -> list[dict[str, Any]]:
        try:
            return self._generate(requests)
        except Exception as exc:
            return fail_all(requests, f"the saas/openai backend failed: {type(exc).__name__}: {exc}")

    def _generate(self, requests: list[LLMRequest]) -> list[dict[str, Any]]:
        responses: list[dict[str, Any] | None] = [None] * len(requests)
        chats: list[tuple[int, Future[dict[str, Any]]]] = []
        groups: dict[tuple[tuple[str, Any], ...], list[int]] = defaultdict(list)
        for index, request in enumerate(requests):
            if request.embedding:
                groups[request.sampling.extra].append(index)
            else:
                chats.append((index, self.pool.submit(self.chat, request)))
        embeds: list[tuple[list[int], Future[list[dict[str, Any]]]]] = []
        size = self.settings.embedding_batch_size
        for indexes in groups.values():
            for start in range(0, len(indexes), size):
                chunk = indexes[start : start + size]
                embeds.append((chunk, self.pool.submit(self._embed_safely, [requests[i] for i in chunk])))
        for index, future in chats:
            responses[index] = future.result()
        for chunk, chunk_future in embeds:
            for index, response in zip(chunk, chunk_future.result(), strict=True):
                responses[index] = response
        return [
            r if r is not None else error_response(requests[i].raw, "no response")
            for i, r in enumerate(responses)
        ]

    # -- embeddings --------------------------------------------------------------------------------
    def _embed_safely(self, requests: list[LLMRequest]) -> list[dict[str, Any]]:
        try:
            return self.embed(requests)
        except Exception as exc:
            message = f"the call failed: {type(exc).__name__}: {exc}"
            return [error_response(r.raw, message, self._failure_metadata()) for r in requests]

    def embed(self, requests: list[LLMRequest]) -> list[dict[str, Any]]:
        """Vectors of one chunk of embedding requests (one call; one call per input if it is refused)."""
        if not requests:
            return []
        body: dict[str, Any] = dict(requests[0].sampling.extra)
        body.update(model=self.settings.embedding_model, input=[r.instruction for r in requests])
        try:
            data, _ = self.post_json("embeddings", body)
            vectors = _vectors(data, len(requests))
        except EndpointError as exc:
            if len(requests) > 1 and not exc.retryable:
                return [r for request in requests for r in self.embed([request])]
            return [error_response(r.raw, str(exc), self._failure_metadata()) for r in requests]
        tokens = _usage(data, "prompt_tokens") if len(requests) == 1 else None
        model = data.get("model") or self.settings.embedding_model
        responses = []
        for request, vector in zip(requests, vectors, strict=True):
            metadata: dict[str, Any] = {"input_tokens": tokens, "dim": len(vector), "model": model}
            metadata.update(batch_size=len(requests), backend=self.name)
            responses.append(embedding_response(request, vector, metadata))
        return responses

    # -- stream ------------------------------------------------------------------------------------
    def stream(self, request: LLMRequest) -> Iterator[str]:
        """Text deltas of one chat request, read from the endpoint's server-sent events."""
        url = f"{self.settings.base_url}/chat/completions"
        body = self.chat_body(request, stream=True)

        def open_stream() -> httpx.Response:
            return self.http.send(self.http.build_request("POST", url, json=body), stream=True)

        response, attempts = self._with_retries(url, open_stream)
        try:
            if response.headers.get("content-type", "").startswith("application/json"):
                # An endpoint that ignores "stream" answers one whole completion.
                response.read()
                answer = self._chat_answer(request, _json_body(response), 0.0, attempts)
                if answer["output"]:
                    yield str(answer["output"])
                return
            yield from _sse_deltas(response.iter_lines())
        except httpx.HTTPError as exc:
            raise EndpointError(
                f"the stream from {url} broke: {type(exc).__name__}: {exc}", retryable=False
            ) from None
        finally:
            response.close()

    def close(self) -> None:
        self._closed.set()
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.http.close()


def _without_credentials(url: str) -> str:
    parsed = httpx.URL(url)
    return str(parsed.copy_with(username=None, password=None)) if parsed.userinfo else url


def _vectors(data: dict[str, Any], expected: int) -> list[list[float]]:
    items = data.get("data")
    if not isinstance(items, list) or len(items) != expected:
        raise EndpointError(
            f"the endpoint's embeddings answer has {len(items) if isinstance(items, list) else 'no'} "
            f"vectors for {expected} inputs",
            retryable=False,
        )
    ordered = sorted(items, key=lambda item: int(item.get("index", 0)) if isinstance(item, dict) else 0)
    vectors = []
    for item in ordered:
        vector = item.get("embedding") if isinstance(item, dict) else None
        if not isinstance(vector, list) or not all(isinstance(v, int | float) for v in vector):
            raise EndpointError(
                "the endpoint's embedding is not a list of numbers (leave encoding_format unset)",
                retryable=False,
            )
        vectors.append([float(v) for v in vector])
    return vectors


def _sse_deltas(lines: Iterator[str]) -> Iterator[str]:
    """The content deltas of an OpenAI chat-completions event stream, up to ``data: [DONE]``."""
    for line in lines:
        if not line.startswith("data:"):
            continue
        data = line[len("data:") :].strip()
        if data == "[DONE]":
            return
        try:
            event = json.loads(data)
        except ValueError:
            raise EndpointError(
                f"the endpoint sent a bad stream event: {data[:200]!r}", retryable=False
            ) from None
        if not isinstance(event, dict):
            continue
        if event.get("error"):
            error = event["error"]
            message = error.get("message") if isinstance(error, dict) else error
            raise EndpointError(f"the endpoint failed mid-stream: {message}", retryable=False)
        choices = event.get("choices") or []
        if choices and isinstance(choices[0], dict):
            delta = (choices[0].get("delta") or {}).get("content")
            if delta:
                yield str(delta)
