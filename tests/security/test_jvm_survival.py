"""The engine survives its JVM: kill -9 of the Spark driver turns readiness to 503 at once, the script
that was running gets a 503 that says so (never a 500 with a Python connection error), and the engine
starts a new driver for the next script. The test has a server of its own: the shared ones survive."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from sec_server_fixtures import ALICE_TOKEN, Server, start_server

RESTART_TIMEOUT_S = 240


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # A short grace: the unstoppable tasks below get their driver replaced sooner.
    server = start_server(tmp_path_factory.mktemp("jvm-survival"), config_extra="stuck_task_grace_s = 10\n")
    try:
        yield server
    finally:
        server.stop()


def driver_jvm(server: Server) -> psutil.Process:
    for child in psutil.Process(server.process.pid).children(recursive=True):
        try:
            if "java" in child.name() or any("SparkSubmit" in part for part in child.cmdline()):
                return child
        except psutil.Error:
            continue
    raise AssertionError("no JVM under the server process")


def run(client: httpx.Client, sql: str, **fields: str) -> httpx.Response:
    return client.post("/run/script", data={"sql": sql, "owner": "alice", **fields})


def test_a_killed_driver_is_reported_and_replaced(own_server: Server, tmp_path: Path) -> None:
    with own_server.client(ALICE_TOKEN, timeout=RESTART_TIMEOUT_S) as alice:
        assert run(alice, "select 1 as x as kept_view;").status_code == 200
        jvm = driver_jvm(own_server)
        answers: list[httpx.Response] = []
        slow = threading.Thread(
            # hours of work on any machine: it is still running when the driver is killed
            target=lambda: answers.append(
                run(alice, "select sum(hash(id)) as h from range(0, 100000000000000) as t;")
            ),
            daemon=True,
        )
        slow.start()
        time.sleep(3)  # the slow script is running on the driver
        jvm.kill()
        jvm.wait(timeout=30)

        # readiness turns 503 at once
        probe = httpx.get(f"{own_server.url}/health/readiness", timeout=5)
        assert probe.status_code == 503, probe.text
        assert probe.json()["status"] == "restarting"

        slow.join(timeout=RESTART_TIMEOUT_S)
        assert answers, "the running script never answered"
        died = answers[0]
        assert died.status_code == 503, died.text
        body = died.json()
        assert body["kind"] == "engine restarting"
        assert "Spark driver stopped" in body["message"]
        assert "Py4J" not in body["message"] and "Traceback" not in died.text

        # a new driver comes up, and the next scripts run on it
        deadline = time.monotonic() + RESTART_TIMEOUT_S
        while time.monotonic() < deadline:
            if httpx.get(f"{own_server.url}/health/readiness", timeout=5).status_code == 200:
                break
            time.sleep(1)
        else:
            raise AssertionError(f"never ready again:\n{own_server.log_text()[-3000:]}")
        assert run(alice, "select 2 as x as t;").json() == [{"x": 2}]
        assert driver_jvm(own_server).pid != jvm.pid
        # the view of the dead session is gone, and the error says which table
        gone = run(alice, "select * from kept_view as t;")
        assert gone.status_code == 400 and "kept_view" in gone.json()["message"]
        # owner isolation holds on the new driver too
        assert (
            run(alice, "create table if not exists after_restart (n int) using parquet;").status_code == 200
        )
        assert run(alice, "select * from default.x as t;").status_code == 403


# Spark cannot stop these tasks once cancelled: range() feeds an aggregate outside code generation.
UNSTOPPABLE = "select max(sha2(cast(id as string), 256)) as m from range(0, 10000000000) as t;"


@pytest.mark.slow
def test_tasks_that_ignore_a_kill_get_the_driver_replaced(own_server: Server) -> None:
    with own_server.client(ALICE_TOKEN, timeout=RESTART_TIMEOUT_S) as alice:
        assert run(alice, "select 1 as x as t;").status_code == 200
        jvm = driver_jvm(own_server)
        answers: list[httpx.Response] = []
        slow = threading.Thread(
            target=lambda: answers.append(run(alice, UNSTOPPABLE, jobName="unstoppable")), daemon=True
        )
        slow.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            names = {job["jobName"] for job in alice.get("/runningjobs").json().values()}
            if "unstoppable" in names:
                break
            time.sleep(0.3)
        time.sleep(2)  # its tasks are running
        assert alice.post("/killjob", data={"jobName": "unstoppable", "owner": "alice"}).status_code == 200
        slow.join(timeout=60)
        assert answers and answers[0].status_code != 200

        # The tasks run on after the kill; after the grace period the driver is replaced.
        deadline = time.monotonic() + RESTART_TIMEOUT_S
        while time.monotonic() < deadline and jvm.is_running() and jvm.status() != psutil.STATUS_ZOMBIE:
            time.sleep(1)
        assert not jvm.is_running() or jvm.status() == psutil.STATUS_ZOMBIE, "the stuck driver was kept"
        deadline = time.monotonic() + RESTART_TIMEOUT_S
        while time.monotonic() < deadline:
            if httpx.get(f"{own_server.url}/health/readiness", timeout=5).status_code == 200:
                break
            time.sleep(1)
        assert run(alice, "select 3 as x as t;").json() == [{"x": 3}]
        assert driver_jvm(own_server).pid != jvm.pid
        assert "were still running" in own_server.log_text()
