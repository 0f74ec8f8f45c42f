"""Jobs: /runningjobs, /killjob, timeouts, and owners running side by side."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import httpx
import pytest

# A Spark job of many short tasks that would run for minutes: long enough to be seen and killed,
# and it leaves task slots free often enough for other owners' queries to get in.
LONG_QUERY = "select count(*) as c from range(0, 2000000000000, 1, 4000) as big;"
WAIT_S = 120  # generous: the machine may be busy; the tests never time anything


@pytest.fixture
def background() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(4) as pool:
        yield pool


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def running(http: httpx.Client) -> dict[str, dict[str, object]]:
    response = http.get("/runningjobs")
    assert response.status_code == 200, response.text
    jobs: dict[str, dict[str, object]] = response.json()
    return jobs


def job_named(http: httpx.Client, name: str) -> dict[str, object] | None:
    return next((job for job in running(http).values() if job["jobName"] == name), None)


def start_long_job(
    pool: ThreadPoolExecutor, server_url: str, token: str, name: str, owner: str
) -> Future[httpx.Response]:
    def call() -> httpx.Response:
        with httpx.Client(
            base_url=server_url, headers={"Authorization": f"Bearer {token}"}, timeout=600
        ) as c:
            return c.post("/run/script", data={"sql": LONG_QUERY, "jobName": name, "owner": owner})

    return pool.submit(call)


def test_a_running_job_is_listed_and_killed_by_name(
    http: httpx.Client, server_url: str, token: str, background: ThreadPoolExecutor
) -> None:
    pending = start_long_job(background, server_url, token, "long-by-name", "gina")
    wait_for(lambda: job_named(http, "long-by-name") is not None, "the job to show in /runningjobs")
    job = job_named(http, "long-by-name")
    assert job is not None
    assert job["owner"] == "gina" and job["jobType"] == "script"
    assert job["content"] == LONG_QUERY and job["jobContent"] == LONG_QUERY
    assert job["groupId"] and isinstance(job["startTime"], int) and job["timeout"] == -1
    assert "progress" in job
    assert job["groupId"] in running(http)  # keyed by groupId, as in Byzer

    killed = http.post("/killjob", data={"jobName": "long-by-name"})
    assert killed.status_code == 200 and killed.json()["killed"] is True
    response = pending.result(timeout=WAIT_S)
    assert response.status_code == 499
    assert response.json()["kind"] == "killed"
    wait_for(lambda: job_named(http, "long-by-name") is None, "the job to leave /runningjobs")


def test_a_job_is_killed_by_group_id(
    http: httpx.Client, server_url: str, token: str, background: ThreadPoolExecutor
) -> None:
    pending = start_long_job(background, server_url, token, "long-by-group", "gina")
    wait_for(lambda: job_named(http, "long-by-group") is not None, "the job to start")
    job = job_named(http, "long-by-group")
    assert job is not None
    assert http.post("/killjob", data={"groupId": job["groupId"]}).json()["killed"] is True
    assert pending.result(timeout=WAIT_S).status_code == 499


def test_killing_an_unknown_job_says_so(http: httpx.Client) -> None:
    response = http.post("/killjob", data={"jobName": "never-started"})
    assert response.status_code == 200 and response.json()["killed"] is False
    assert http.post("/killjob", data={}).status_code == 400


def test_a_job_past_its_timeout_is_cancelled_with_408(http: httpx.Client) -> None:
    response = http.post("/run/script", data={"sql": LONG_QUERY, "timeout": "1500", "jobName": "too-slow"})
    assert response.status_code == 408
    assert response.json()["kind"] == "timeout"
    assert job_named(http, "too-slow") is None


def test_a_long_job_blocks_neither_health_nor_other_owners(
    http: httpx.Client, server_url: str, token: str, background: ThreadPoolExecutor
) -> None:
    pending = start_long_job(background, server_url, token, "long-neighbour", "henry")
    wait_for(lambda: job_named(http, "long-neighbour") is not None, "the long job to start")

    assert http.get("/health/liveness").status_code == 200
    assert http.get("/health/readiness").status_code == 200
    small = http.post("/run/script", data={"sql": "select 1 as a as t;", "owner": "iris"})
    assert small.status_code == 200 and small.json() == [{"a": 1}]
    assert job_named(http, "long-neighbour") is not None, "the small query waited for the long one"

    http.post("/killjob", data={"jobName": "long-neighbour"})
    assert pending.result(timeout=WAIT_S).status_code == 499


def test_two_jobs_with_one_name_cannot_run_at_once(
    http: httpx.Client, server_url: str, token: str, background: ThreadPoolExecutor
) -> None:
    pending = start_long_job(background, server_url, token, "only-once", "jack")
    wait_for(lambda: job_named(http, "only-once") is not None, "the first job to start")
    # Job names are unique per owner: the same owner cannot start a second one.
    twin = http.post(
        "/run/script", data={"sql": "select 1 as a as t;", "jobName": "only-once", "owner": "jack"}
    )
    assert twin.status_code == 400 and "only-once" in twin.json()["message"]
    http.post("/killjob", data={"jobName": "only-once"})
    assert pending.result(timeout=WAIT_S).status_code == 499
