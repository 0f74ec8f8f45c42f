"""Deployed models over HTTP: the official ``openai`` client, /model/predict, and kill of LLM work.

The default model (SmolLM2-135M-Instruct, packaged) is deployed once per module by conftest's
``deployed_model``, through /run/script, onto the test run's Ray, which the server joined through
BYZER_RAY_ADDRESS.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import openai
import pytest

QUESTION = "What is the capital of France? Answer with the city name only."
WAIT_S = 300
SMALL_QUERY_WAIT_S = 120

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def oai(server_url: str, token: str) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=f"{server_url}/v1", api_key=token, timeout=WAIT_S, max_retries=0) as client:
        yield client


def test_models_lists_the_deployed_function(oai: openai.OpenAI, deployed_model: str) -> None:
    assert deployed_model in [m.id for m in oai.models.list()]


def test_chat_completion_with_the_openai_client(oai: openai.OpenAI, deployed_model: str) -> None:
    answer = oai.chat.completions.create(
        model=deployed_model,
        messages=[{"role": "user", "content": QUESTION}],
        max_tokens=24,
        temperature=0,
    )
    assert answer.object == "chat.completion"
    text = answer.choices[0].message.content or ""
    assert "Paris" in text
    assert answer.choices[0].finish_reason in ("stop", "length")
    assert answer.usage is not None and answer.usage.prompt_tokens > 0 and answer.usage.completion_tokens > 0


def test_streamed_chat_completion_with_the_openai_client(oai: openai.OpenAI, deployed_model: str) -> None:
    stream = oai.chat.completions.create(
        model=deployed_model,
        messages=[{"role": "user", "content": QUESTION}],
        max_tokens=24,
        temperature=0,
        stream=True,
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "Paris" in text
    assert sum(1 for c in chunks if c.choices and c.choices[0].delta.content) > 1, "not streamed"
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason in ("stop", "length")


def test_text_completion_plain_and_streamed(oai: openai.OpenAI, deployed_model: str) -> None:
    answer = oai.completions.create(model=deployed_model, prompt=QUESTION, max_tokens=24, temperature=0)
    assert answer.object == "text_completion" and "Paris" in answer.choices[0].text
    pieces = list(oai.completions.create(model=deployed_model, prompt=QUESTION, max_tokens=24, stream=True))
    assert "Paris" in "".join(p.choices[0].text for p in pieces)


def test_unknown_models_and_bad_requests_raise_openai_errors(oai: openai.OpenAI, deployed_model: str) -> None:
    with pytest.raises(openai.NotFoundError):
        oai.chat.completions.create(model="no_such_model", messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(openai.BadRequestError):
        oai.chat.completions.create(model=deployed_model, messages=[{"role": "system", "content": "only"}])


def test_model_predict_applies_the_function_to_rows(http: httpx.Client, deployed_model: str) -> None:
    data = json.dumps([{"instruction": QUESTION, "max_length": "24", "temperature": "0"}])
    response = http.post(
        "/model/predict",
        data={"dataType": "string", "data": data, "sql": f"select {deployed_model}(array(feature)) as value"},
    )
    assert response.status_code == 200, response.text
    rows = response.json()
    assert len(rows) == 1
    answer = json.loads(rows[0]["value"][0])
    assert "Paris" in answer["output"]


def _tasks_running(http: httpx.Client, job_name: str) -> bool:
    for job in http.get("/runningjobs").json().values():
        if job["jobName"] == job_name:
            done, total = (int(n) for n in job["progress"].split("/"))
            return total > 0 and done < total
    return False


def _call_progress(http: httpx.Client, job_name: str) -> dict[str, Any] | None:
    for job in http.get("/runningjobs").json().values():
        if job["jobName"] == job_name:
            calls: dict[str, Any] | None = job["callProgress"]
            return calls
    return None


def test_a_slow_llm_query_blocks_no_one_and_is_killed_with_its_requests(
    http: httpx.Client, server_url: str, token: str, deployed_model: str
) -> None:
    slow = (
        f"select {deployed_model}(llm_param(map('instruction', concat('Write a long story number ', id), "
        "'max_length', '256', 'cache', 'false'))) as answer from range(64) as stories;"
    )
    headers = {"Authorization": f"Bearer {token}"}

    def run_slow() -> httpx.Response:
        with httpx.Client(base_url=server_url, headers=headers, timeout=WAIT_S * 2) as c:
            return c.post("/run/script", data={"sql": slow, "jobName": "slow-llm", "owner": "admin"})

    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(run_slow)
        # Wait until the slow job's Spark tasks are running (its stage has tasks), so the small query
        # below really competes with them for task slots rather than slipping in before they start.
        deadline = time.monotonic() + WAIT_S
        while not _tasks_running(http, "slow-llm"):
            assert time.monotonic() < deadline, "the slow query never started its tasks"
            time.sleep(0.2)
        assert http.get("/health/liveness").status_code == 200
        # The job's LLM calls were counted before they ran: rows done of the 64 it will send.
        while (calls := _call_progress(http, "slow-llm")) is None or calls["rowsTotal"] is None:
            assert time.monotonic() < deadline, "the slow query's calls were never counted"
            time.sleep(0.2)
        assert calls["rowsTotal"] == 64 and 0 <= calls["rowsDone"] <= 64
        assert set(calls) == {"rowsDone", "rowsTotal", "outputTokens", "tokensPerSecond", "etaSeconds"}
        # Generous for a busy machine, far below the minutes the slow job's tasks hold their slots.
        small = http.post(
            "/run/script", data={"sql": "select 1 as a as t;", "owner": "oscar"}, timeout=SMALL_QUERY_WAIT_S
        )
        assert small.status_code == 200 and small.json() == [{"a": 1}]
        still_running = any(j["jobName"] == "slow-llm" for j in http.get("/runningjobs").json().values())
        assert still_running, pending.result().text[:2000]

        assert http.post("/killjob", data={"jobName": "slow-llm"}).json()["killed"] is True
        killed = pending.result(timeout=WAIT_S)
    assert killed.status_code == 499 and killed.json()["kind"] == "killed"
    # The model is free again at once: its queued requests were cancelled with the job.
    again = http.post(
        "/v1/chat/completions",
        json={"model": deployed_model, "messages": [{"role": "user", "content": QUESTION}], "max_tokens": 8},
        timeout=WAIT_S,
    )
    assert again.status_code == 200
