"""The saas/openai backend: against a small scripted HTTP server on loopback, and end to end.

The unit tests start a real ``http.server`` on 127.0.0.1 whose answers each test scripts (503s, 429
with Retry-After, bad JSON, server-sent events ...). The end-to-end tests deploy a saas/openai function
whose endpoint is this engine's own server: ``/v1/chat/completions`` serves conftest's
``deployed_model`` (the packaged SmolLM2), and the saas function is queried from SQL.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from byzer_engine.lang.errors import ByzerError
from byzer_engine.llm.backends import BackendConfig, create_backend
from byzer_engine.llm.backends.openai_backend import (
    MAX_BACKOFF_S,
    MAX_RETRY_AFTER_S,
    OpenAIBackend,
    backoff_delay,
    client_settings,
    retry_after_seconds,
)
from byzer_engine.llm.requests import parse_request

QUESTION = "What is the capital of France? Answer with the city name only."
WAIT_S = 300
API_KEY = "sk-test-5eb1"

# -- a scripted endpoint on loopback ---------------------------------------------------------------


@dataclass
class Answer:
    status: int = 200
    body: Any = None  # a dict is sent as JSON; str or bytes as they are
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


def completion(text: str, *, prompt_tokens: int = 7, completion_tokens: int = 2) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "remote-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens},
    }


def sse(*events: dict[str, Any] | str) -> Answer:
    lines = [f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n" for e in events]
    return Answer(body="".join(lines), headers={"Content-Type": "text/event-stream"})


def delta(text: str) -> dict[str, Any]:
    return {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": text}}]}


@dataclass
class Call:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float


class Endpoint:
    """An OpenAI-shaped HTTP server whose answers come from ``reply(path, body, call_number)``."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.reply: Callable[[str, dict[str, Any], int], Answer] = lambda p, b, n: Answer(404, {})
        self._lock = threading.Lock()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                answer = endpoint.record(self.path, dict(self.headers), body)
                try:
                    time.sleep(answer.delay_s)
                    data = answer.body
                    payload = (
                        data
                        if isinstance(data, bytes)
                        else data.encode()
                        if isinstance(data, str)
                        else json.dumps(data).encode()
                    )
                    self.send_response(answer.status)
                    headers = {"Content-Type": "application/json", **answer.headers}
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                finally:
                    with endpoint._lock:
                        endpoint.in_flight -= 1

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05})
        self.thread.daemon = True

    def record(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> Answer:
        with self._lock:
            self.calls.append(Call(path, headers, body, time.monotonic()))
            number = len(self.calls)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        return self.reply(path, body, number)

    def script(self, *answers: Answer) -> None:
        """Answer the calls in order with ``answers`` (the last one repeats)."""
        self.reply = lambda path, body, n: answers[min(n, len(answers)) - 1]


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    server = Endpoint()
    server.thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()
        server.thread.join(timeout=10)


def make_backend(base_url: str, **settings: str) -> OpenAIBackend:
    saas = {"base_url": base_url, "api_key": API_KEY, "model": "remote-model", "backoff": "0.01", **settings}
    backend = create_backend(BackendConfig(backend="saas/openai", model_type="saas/openai", saas=saas))
    assert isinstance(backend, OpenAIBackend)
    return backend


@pytest.fixture
def backend(endpoint: Endpoint) -> Iterator[OpenAIBackend]:
    created = make_backend(endpoint.url, max_retries="3")
    yield created
    created.close()


def ask(instruction: str = QUESTION, **fields: Any) -> Any:
    return parse_request({"instruction": instruction, **fields})


# -- unit tests: retries, backoff, per-request errors ----------------------------------------------
bounded = pytest.mark.timeout(60)


@bounded
def test_two_503s_are_retried_then_the_answer_is_used(endpoint: Endpoint) -> None:
    endpoint.script(
        Answer(503, {"error": {"message": "busy"}}),
        Answer(503, "overloaded"),
        Answer(200, completion("Paris.")),
    )
    backend = make_backend(endpoint.url, backoff="0.2")
    try:
        (response,) = backend.generate(
            [ask(temperature="0", max_length="16", stopping_sequences="###", system_msg="Be brief.")]
        )
    finally:
        backend.close()
    assert response["output"] == "Paris."
    metadata = response["metadata"]
    assert metadata["input_tokens"] == 7 and metadata["output_tokens"] == 2
    assert metadata["finish_reason"] == "stop" and metadata["model"] == "remote-model"
    assert metadata["backend"] == "saas/openai" and metadata["attempts"] == 3
    assert response["history"][-1] == {"role": "assistant", "content": "Paris."}
    assert [c.path for c in endpoint.calls] == ["/v1/chat/completions"] * 3
    call = endpoint.calls[0]
    assert call.headers["Authorization"] == f"Bearer {API_KEY}"
    assert call.body["model"] == "remote-model"
    assert call.body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": QUESTION},
    ]
    assert call.body["temperature"] == 0.0 and call.body["max_tokens"] == 16 and call.body["stop"] == ["###"]
    assert "stream" not in call.body
    # Exponential backoff from 0.2 s (±20% jitter): about 0.2 s, then about 0.4 s.
    first_wait = endpoint.calls[1].at - endpoint.calls[0].at
    second_wait = endpoint.calls[2].at - endpoint.calls[1].at
    assert 0.15 <= first_wait < second_wait and second_wait >= 0.3


@bounded
def test_retry_after_sets_the_wait(endpoint: Endpoint, backend: OpenAIBackend) -> None:
    endpoint.script(
        Answer(429, {"error": {"message": "slow down"}}, {"Retry-After": "1"}), Answer(200, completion("ok"))
    )
    started = time.monotonic()
    (response,) = backend.generate([ask()])
    assert response["output"] == "ok"
    assert time.monotonic() - started >= 0.95
    assert endpoint.calls[1].at - endpoint.calls[0].at >= 0.95


def test_backoff_doubles_up_to_a_cap_and_retry_after_wins() -> None:
    for attempt in range(4):
        assert 0.8 * 0.5 * 2**attempt <= backoff_delay(attempt, 0.5, None) <= 1.2 * 0.5 * 2**attempt
    assert backoff_delay(30, 0.5, None) <= MAX_BACKOFF_S * 1.2
    assert backoff_delay(3, 0.5, 2.0) == 2.0
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds("0.25") == 0.25
    assert retry_after_seconds("100000") == MAX_RETRY_AFTER_S
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    in_five_seconds = retry_after_seconds(formatdate(time.time() + 5, usegmt=True))
    assert in_five_seconds is not None and 3.0 <= in_five_seconds <= 5.0
    assert retry_after_seconds(formatdate(time.time() - 60, usegmt=True)) == 0.0


@bounded
def test_exhausted_retries_fail_only_that_row(endpoint: Endpoint) -> None:
    def reply(path: str, body: dict[str, Any], n: int) -> Answer:
        question = body["messages"][-1]["content"]
        if "broken" in question:
            return Answer(502, {"error": {"message": "bad gateway"}})
        return Answer(200, completion(f"answer to {question}"))

    endpoint.reply = reply
    backend = make_backend(endpoint.url, max_retries="2")
    try:
        responses = backend.generate([ask("one"), ask("broken two"), ask("three")])
    finally:
        backend.close()
    assert responses[0]["output"] == "answer to one" and responses[2]["output"] == "answer to three"
    error = responses[1]["error"]
    assert "502" in error and "bad gateway" in error and "after 3 attempts" in error
    assert responses[1]["input"] == {"instruction": "broken two"}
    assert sum(1 for c in endpoint.calls if "broken" in c.body["messages"][-1]["content"]) == 3


@bounded
def test_a_4xx_is_not_retried(endpoint: Endpoint, backend: OpenAIBackend) -> None:
    endpoint.script(
        Answer(
            404, {"error": {"message": "The model `nope` does not exist", "type": "invalid_request_error"}}
        )
    )
    (response,) = backend.generate([ask()])
    assert response["error"] == "the endpoint answered 404: The model `nope` does not exist"
    assert len(endpoint.calls) == 1


@bounded
def test_bad_json_and_shapeless_answers_are_error_rows(endpoint: Endpoint, backend: OpenAIBackend) -> None:
    endpoint.script(Answer(200, "this is not json"), Answer(200, {"choices": []}))
    first, second = (backend.generate([ask("a")])[0], backend.generate([ask("b")])[0])
    assert "not JSON" in first["error"]
    assert "no choices[0].message" in second["error"]


@bounded
def test_an_unreachable_endpoint_is_retried_then_an_error_row() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]  # nothing listens there once the socket is closed
    backend = make_backend(f"http://127.0.0.1:{closed_port}/v1", max_retries="2", timeout="5")
    try:
        (response,) = backend.generate([ask()])
    finally:
        backend.close()
    assert "could not reach" in response["error"] and "after 3 attempts" in response["error"]


@bounded
def test_concurrency_bounds_calls_in_flight(endpoint: Endpoint) -> None:
    endpoint.reply = lambda path, body, n: Answer(
        200, completion(body["messages"][-1]["content"]), delay_s=0.2
    )
    backend = make_backend(endpoint.url, concurrency="2")
    try:
        responses = backend.generate([ask(f"q{i}") for i in range(6)])
    finally:
        backend.close()
    assert [r["output"] for r in responses] == [f"q{i}" for i in range(6)]
    assert endpoint.most_in_flight == 2


@bounded
def test_embeddings_are_batched_and_a_refused_input_fails_alone(
    endpoint: Endpoint, backend: OpenAIBackend
) -> None:
    def reply(path: str, body: dict[str, Any], n: int) -> Answer:
        if path != "/v1/embeddings":
            return Answer(200, completion("chat answer"))
        inputs = body["input"]
        if "refused" in inputs:
            return Answer(400, {"error": {"message": "input refused"}})
        data = [{"index": i, "embedding": [float(len(t)), 1.0]} for i, t in reversed(list(enumerate(inputs)))]
        return Answer(200, {"data": data, "model": "emb", "usage": {"prompt_tokens": 3}})

    endpoint.reply = reply
    responses = backend.generate(
        [
            ask("ab", embedding="true"),
            ask("hello"),
            ask("refused", embedding="true"),
            ask("abcd", embedding="true"),
        ]
    )
    assert responses[0]["output"] == [2.0, 1.0] and responses[3]["output"] == [4.0, 1.0]
    assert responses[1]["output"] == "chat answer"
    assert responses[2]["error"] == "the endpoint answered 400: input refused"
    assert responses[0]["metadata"]["dim"] == 2 and responses[0]["metadata"]["backend"] == "saas/openai"
    embedding_calls = [c.body["input"] for c in endpoint.calls if c.path == "/v1/embeddings"]
    assert embedding_calls[0] == ["ab", "refused", "abcd"]
    assert sorted(map(tuple, embedding_calls[1:])) == [("ab",), ("abcd",), ("refused",)]


@bounded
def test_stream_yields_the_deltas_after_a_retry(endpoint: Endpoint, backend: OpenAIBackend) -> None:
    endpoint.script(
        Answer(503, {"error": {"message": "warming up"}}),
        sse(
            {"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]},
            delta("Par"),
            delta("is"),
            "[DONE]",
        ),
    )
    assert list(backend.stream(ask(max_length="8"))) == ["Par", "is"]
    assert endpoint.calls[-1].body["stream"] is True and endpoint.calls[-1].body["max_tokens"] == 8


@bounded
def test_a_stream_error_event_raises(endpoint: Endpoint, backend: OpenAIBackend) -> None:
    endpoint.script(sse(delta("Par"), {"error": {"message": "model died"}}))
    received: list[str] = []
    with pytest.raises(RuntimeError, match="model died"):
        for piece in backend.stream(ask()):
            received.append(piece)
    assert received == ["Par"]


def test_describe_names_the_endpoint_but_never_the_key(endpoint: Endpoint, backend: OpenAIBackend) -> None:
    info = backend.describe()
    assert info["backend"] == "saas/openai" and info["model"] == "remote-model"
    assert info["base_url"] == endpoint.url
    assert API_KEY not in json.dumps(info)


def test_settings_are_checked() -> None:
    def settings(**saas: str) -> Any:
        return client_settings(BackendConfig(backend="saas/openai", model_type="saas/openai", saas=saas))

    defaults = settings(model="m")
    assert defaults.base_url == "https://api.openai.com/v1"
    assert (defaults.max_retries, defaults.concurrency) == (3, 8)
    assert settings(model="m", base_url="http://h:1/v1/", timeout="2.5").base_url == "http://h:1/v1"
    with pytest.raises(ByzerError, match=r"saas\.timeout must be a number"):
        settings(model="m", timeout="soon")
    with pytest.raises(ByzerError, match=r"saas\.concurrency must be at least 1"):
        settings(model="m", concurrency="0")
    with pytest.raises(ByzerError, match="http"):
        settings(model="m", base_url="ftp://h")
    backend_options = BackendConfig(
        backend="saas/openai", model_type="saas/openai", saas={"model": "m"}, options={"max_retries": "1"}
    )
    assert client_settings(backend_options).max_retries == 1


# -- end to end: a saas/openai function whose endpoint is this engine's own server ------------------
SAAS_OWNER = "saas_tests"
SAAS_MODEL = "saas_chat"


def run_script(http: httpx.Client, sql: str) -> httpx.Response:
    return http.post("/run/script", data={"sql": sql, "owner": SAAS_OWNER}, timeout=WAIT_S)


def deploy_saas(http: httpx.Client, name: str, base_url: str, token: str, model: str, **extra: str) -> Any:
    options = "".join(f' and `{k}`="{v}"' for k, v in extra.items())
    sql = (
        f'run command as LLM.`` where action="infer" and pretrainedModelType="saas/openai" '
        f'and udfName="{name}" and `saas.base_url`="{base_url}" and `saas.api_key`="{token}" '
        f'and `saas.model`="{model}"{options};'
    )
    response = run_script(http, sql)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def saas_model(http: httpx.Client, server_url: str, token: str, deployed_model: str) -> Iterator[str]:
    rows = deploy_saas(http, SAAS_MODEL, f"{server_url}/v1", token, deployed_model)
    assert rows[0]["udfName"] == SAAS_MODEL and rows[0]["backend"] == "saas/openai"
    assert rows[0]["model"] == deployed_model
    try:
        yield SAAS_MODEL
    finally:
        run_script(http, f"!byzerllm model remove {SAAS_MODEL};")


@pytest.mark.slow
def test_a_saas_function_answers_from_sql(http: httpx.Client, saas_model: str) -> None:
    sql = (
        f'select llm_response_predict({saas_model}(llm_param(map("instruction", "{QUESTION}", '
        '"temperature", "0", "max_length", "32")))) as a as t;'
    )
    response = run_script(http, sql)
    assert response.status_code == 200, response.text
    rows = response.json()
    assert len(rows) == 1 and "Paris" in rows[0]["a"], rows


@pytest.mark.slow
def test_a_saas_function_streams_over_the_openai_routes(http: httpx.Client, saas_model: str) -> None:
    body = {
        "model": saas_model,
        "messages": [{"role": "user", "content": QUESTION}],
        "max_tokens": 24,
        "temperature": 0,
        "stream": True,
    }
    pieces: list[str] = []
    with http.stream("POST", "/v1/chat/completions", json=body, timeout=WAIT_S) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("data: ") and line != "data: [DONE]":
                event = json.loads(line[len("data: ") :])
                assert "error" not in event, event
                pieces.append(event["choices"][0]["delta"].get("content") or "")
    assert "Paris" in "".join(pieces)
    assert sum(1 for p in pieces if p) > 1, "not streamed"


@pytest.mark.slow
def test_an_unknown_saas_model_gives_each_row_an_error(
    http: httpx.Client, server_url: str, token: str, deployed_model: str
) -> None:
    name = "saas_missing"
    deploy_saas(http, name, f"{server_url}/v1", token, "no_such_model", **{"saas.max_retries": "0"})
    try:
        sql = (
            f"select llm_response_predict(r) as a, r from (select {name}(llm_param(map('instruction', "
            "concat('question ', id)))) as r from range(2) as q) as answered as t;"
        )
        response = run_script(http, sql)
        assert response.status_code == 200, response.text
        rows = response.json()
    finally:
        run_script(http, f"!byzerllm model remove {name};")
    assert len(rows) == 2
    for row in rows:
        assert row["a"] is None
        answer = json.loads(row["r"][0])
        assert "404" in answer["error"] and "no_such_model" in answer["error"]
        assert answer["input"]["instruction"].startswith("question ")
