"""Every request is bounded: templates stop at their budget and caps and honour timeout and
/killjob, health and control routes answer while scripts grind, outputSize has a server cap, large
results stream, and a client that goes away cancels its job. (The test server's config sets a 2 s
template budget, 200 000 characters, 20 000 loop turns and a 5000-row output cap.)"""

from __future__ import annotations

import threading
import time
import uuid

import httpx
import pytest
from sec_server_fixtures import ADMIN_TOKEN, Server

BIG = '#set($big = "a")#foreach($i in [1..17])#set($big = "$big$big")#end'
# About 3 s of string work at most template speeds: past the 2 s budget, within every cap.
GRIND = BIG + '#foreach($i in [1..20000])#set($x = $big.replace("a", "b"))#end$x'

PATHOLOGICAL = {
    "nested loops": "#foreach($i in [1..100000])#foreach($j in [1..100000])x#end#end",
    "doubling string": '#set($a = "ab")#foreach($i in [1..64])#set($a = "$a$a")#end$a',
    "catastrophic regex": '#set($s = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab")'
    '${s.replaceAll("(a|aa)+c", "x")}',
    "long grind": GRIND,
}


def select_template(template: str) -> str:
    return f"select length('{template}') as n as t;"


def run(client: httpx.Client, sql: str, owner: str = "bounds", **fields: object) -> httpx.Response:
    return client.post("/run/script", data={"sql": sql, "owner": owner, **fields})


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_pathological_templates_stop_with_a_clear_error(admin: httpx.Client, name: str) -> None:
    answer = run(admin, select_template(PATHOLOGICAL[name]))
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["line"] == 1 and body["kind"] == "syntax error"
    assert any(word in body["message"] for word in ("budget", "iterations", "characters")), body


def test_timeout_stops_a_template(admin: httpx.Client) -> None:
    answer = run(admin, select_template(GRIND), timeout=400)
    assert answer.status_code == 408, answer.text
    assert answer.json()["kind"] == "timeout"


def test_killjob_stops_a_template(admin: httpx.Client, sec_server: Server) -> None:
    name = f"grind-{uuid.uuid4().hex[:8]}"
    answers: list[httpx.Response] = []
    worker = threading.Thread(
        target=lambda: answers.append(run(admin, select_template(GRIND), jobName=name)), daemon=True
    )
    worker.start()
    with sec_server.client(ADMIN_TOKEN, timeout=30) as control:
        deadline = time.monotonic() + 30
        killed = False
        while not killed and time.monotonic() < deadline and worker.is_alive():
            killed = control.post("/killjob", data={"jobName": name}).json()["killed"]
            time.sleep(0.05)
    worker.join(timeout=60)
    assert killed, answers[0].text if answers else "never started"
    assert answers[0].status_code == 499, answers[0].text


def test_health_and_control_stay_fast_while_scripts_grind(sec_server: Server) -> None:
    grinders = []
    for index in range(4):
        client = sec_server.client(ADMIN_TOKEN, timeout=120)
        grinders.append(
            threading.Thread(
                target=lambda c=client, i=index: run(c, select_template(GRIND), owner=f"grind{i}"),
                daemon=True,
            )
        )
    for thread in grinders:
        thread.start()
    time.sleep(0.5)
    with sec_server.client(ADMIN_TOKEN, timeout=10) as control:
        # each of these would time out (10 s) if the event loop or the control threads were blocked
        for _ in range(5):
            assert httpx.get(f"{sec_server.url}/health/liveness", timeout=10).status_code == 200
            assert control.get("/runningjobs").status_code == 200
            assert control.post("/killjob", data={"jobName": "no-such-job"}).json()["killed"] is False
    for thread in grinders:
        thread.join(timeout=120)


def test_output_size_has_a_server_cap(admin: httpx.Client) -> None:
    rows = run(admin, "select id from range(0, 8000) as t;", outputSize=100000).json()
    assert len(rows) == 5000
    small = run(admin, "select id from range(0, 8000) as t;", outputSize=10).json()
    assert len(small) == 10


def test_large_results_stream(admin: httpx.Client) -> None:
    answer = run(admin, "select id, concat('row-', id) as name from range(0, 4500) as t;", outputSize=4500)
    assert answer.status_code == 200
    assert answer.headers.get("transfer-encoding") == "chunked"
    rows = answer.json()
    assert len(rows) == 4500 and rows[4499] == {"id": 4499, "name": "row-4499"}


def test_a_client_that_goes_away_cancels_its_job(sec_server: Server, admin: httpx.Client) -> None:
    name = f"abandoned-{uuid.uuid4().hex[:8]}"
    slow = "select sum(hash(sha2(cast(id as string), 256))) as m from range(0, 10000000000) as t;"
    outcome: list[str] = []

    def impatient_client() -> None:
        with sec_server.client(ADMIN_TOKEN, timeout=8) as impatient:
            try:
                run(impatient, slow, jobName=name)
                outcome.append("answered")
            except httpx.TimeoutException:
                outcome.append("gave up")

    thread = threading.Thread(target=impatient_client, daemon=True)
    thread.start()
    seen = False
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        names = {job["jobName"] for job in admin.get("/runningjobs").json().values()}
        if name in names:
            seen = True
        elif seen and not thread.is_alive():
            break
        time.sleep(0.3)
    else:
        raise AssertionError(f"the abandoned job kept running (seen: {seen})")
    assert outcome == ["gave up"]
