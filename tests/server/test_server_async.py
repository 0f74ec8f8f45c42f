"""``async=true`` + ``callback``: the result is POSTed to a real HTTP receiver run by the test."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import httpx
import pytest

WAIT_S = 180


@dataclass
class CallbackReceiver:
    """Records every POST (as form fields); answers 500 to the first ``fail_first`` ones."""

    url: str = ""
    received: queue.Queue[dict[str, str]] = field(default_factory=queue.Queue)
    attempts: int = 0
    fail_first: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next(self) -> dict[str, str]:
        return self.received.get(timeout=WAIT_S)


@pytest.fixture
def receiver() -> Iterator[CallbackReceiver]:
    state = CallbackReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode("utf-8")).items()}
            with state.lock:
                state.attempts += 1
                failing = state.attempts <= state.fail_first
            if not failing:
                state.received.put(form)
            self.send_response(500 if failing else 200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/done"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def submit(http: httpx.Client, sql: str, callback: str, **fields: str) -> httpx.Response:
    return http.post("/run/script", data={"sql": sql, "async": "true", "callback": callback, **fields})


def test_async_returns_the_job_name_and_posts_the_rows(
    http: httpx.Client, receiver: CallbackReceiver
) -> None:
    response = submit(http, "select 1 as a, 'x' as b as t;", receiver.url, jobName="async-ok", owner="kate")
    assert response.status_code == 200, response.text
    assert response.json()["jobName"] == "async-ok"

    posted = receiver.next()
    assert posted["stat"] == "succeeded"
    assert json.loads(posted["res"]) == [{"a": 1, "b": "x"}]
    job = json.loads(posted["jobInfo"])
    assert job["jobName"] == "async-ok" and job["owner"] == "kate" and job["groupId"]


def test_async_without_a_job_name_gets_a_generated_one(
    http: httpx.Client, receiver: CallbackReceiver
) -> None:
    response = submit(http, "select 2 as a as t;", receiver.url, includeSchema="true")
    name = response.json()["jobName"]
    assert name
    posted = receiver.next()
    assert json.loads(posted["jobInfo"])["jobName"] == name
    assert json.loads(posted["res"])["data"] == [{"a": 2}]


def test_a_failed_async_job_posts_the_error(http: httpx.Client, receiver: CallbackReceiver) -> None:
    response = submit(http, "select 1 as a as t;\nselect * from missing_table_x as u;", receiver.url)
    assert response.status_code == 200
    posted = receiver.next()
    assert posted["stat"] == "failed"
    assert "missing_table_x" in posted["msg"]
    error = json.loads(posted["error"])
    assert error["kind"] == "runtime error" and error["line"] == 2
    assert json.loads(posted["jobInfo"])["status"] == "runtime error"


def test_the_callback_is_retried_until_it_succeeds(http: httpx.Client, receiver: CallbackReceiver) -> None:
    receiver.fail_first = 2
    submit(http, "select 3 as a as t;", receiver.url, maxRetries="3")
    posted = receiver.next()
    assert json.loads(posted["res"]) == [{"a": 3}]
    assert receiver.attempts == 3
