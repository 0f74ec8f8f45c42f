"""Owners are isolated: with per-owner tokens, one owner cannot act as, list, kill, read or drop
what is another's; secrets in job listings are masked for everyone."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
from sec_server_fixtures import ALICE_TOKEN, PAIR_TOKEN, Server

SLOW = "select sum(hash(sha2(cast(id as string), 256))) as m from range(0, 10000000000) as t;"


def run(client: httpx.Client, sql: str, owner: str, **fields: Any) -> httpx.Response:
    return client.post("/run/script", data={"sql": sql, "owner": owner, **fields})


def start_slow(client: httpx.Client, owner: str, job_name: str, sql: str = SLOW) -> threading.Thread:
    def go() -> None:
        try:
            run(client, sql, owner, jobName=job_name, timeout=60000)
        except httpx.HTTPError:
            pass

    thread = threading.Thread(target=go, daemon=True)
    thread.start()
    return thread


def wait_listed(client: httpx.Client, job_name: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        jobs = client.get("/runningjobs").json()
        for job in jobs.values():
            if job["jobName"] == job_name:
                return dict(job)
        time.sleep(0.2)
    raise AssertionError(f"job {job_name} never showed up")


def test_a_token_acts_only_as_its_owners(alice: httpx.Client, sec_server: Server) -> None:
    assert run(alice, "select 1 as x as t;", "alice").json() == [{"x": 1}]
    refused = run(alice, "select 1 as x as t;", "bob")
    assert refused.status_code == 403, refused.text
    assert "may not act as owner 'bob'" in refused.json()["message"]
    with sec_server.client(PAIR_TOKEN) as pair:
        assert run(pair, "select 2 as x as t;", "carol").status_code == 200
        assert run(pair, "select 2 as x as t;", "dave").status_code == 200
        assert run(pair, "select 2 as x as t;", "alice").status_code == 403
    assert alice.post("/user/logout", data={"owner": "bob"}).status_code == 403
    assert (
        alice.post("/model/predict", data={"sql": "select 1", "owner": "bob", "data": "[]"}).status_code
        == 403
    )


def test_an_unknown_token_is_refused(sec_server: Server) -> None:
    with sec_server.client("not-a-token-at-all") as stranger:
        assert run(stranger, "select 1 as x as t;", "alice").status_code == 403
    with sec_server.client(None) as anonymous:
        assert run(anonymous, "select 1 as x as t;", "alice").status_code == 401


def test_jobs_are_listed_and_killed_only_by_their_owner(
    alice: httpx.Client, bob: httpx.Client, admin: httpx.Client
) -> None:
    secret_sql = (
        'set apiKey = "sk-alice-secret-1";\n'
        'connect jdbc where url="jdbc:postgresql://db/x?user=a&password=pw-in-url" '
        'and password="hunter2-alice" as pg;\n' + SLOW
    )
    thread = start_slow(alice, "alice", "alice-long", secret_sql)
    try:
        mine = wait_listed(alice, "alice-long")
        for text in (mine["content"], mine["jobContent"]):
            assert "sk-alice-secret-1" not in text and "hunter2-alice" not in text and "pw-in-url" not in text
            assert "******" in text
        # bob sees none of alice's jobs, in neither listing
        assert all(job["owner"] == "bob" for job in bob.get("/runningjobs").json().values())
        listed = run(bob, "load _mlsql_.`jobs` as j; select owner, content from j as out;", "bob").json()
        assert all(row["owner"] == "bob" for row in listed), listed
        assert not any("alice" in (row["content"] or "") for row in listed)
        # bob cannot kill it, by name or group id, nor with !kill
        assert bob.post("/killjob", data={"jobName": "alice-long"}).json()["killed"] is False
        assert bob.post("/killjob", data={"groupId": mine["groupId"]}).json()["killed"] is False
        killed = run(bob, f"!kill {mine['groupId']};", "bob").json()
        assert killed == [{"job": mine["groupId"], "killed": False}]
        assert wait_listed(alice, "alice-long")["status"] == "running"
        # the admin sees every owner's jobs (masked as well)
        seen = wait_listed(admin, "alice-long")
        assert "hunter2-alice" not in seen["content"]
        # alice kills her own
        assert alice.post("/killjob", data={"jobName": "alice-long"}).json()["killed"] is True
    finally:
        admin.post("/killjob", data={"jobName": "alice-long"})
        thread.join(timeout=60)


def test_catalog_tables_are_per_owner(alice: httpx.Client, bob: httpx.Client) -> None:
    made = run(
        alice,
        "create table if not exists notes (n int) using parquet;\n"
        "insert into notes values (7);\nselect n from notes as t;",
        "alice",
    )
    assert made.json() == [{"n": 7}], made.text
    # bob's unqualified name is his own database: alice's table is not there
    missing = run(bob, "select n from notes as t;", "bob")
    assert missing.status_code == 400 and "notes" in missing.json()["message"]
    for sql in (
        "select * from owner_alice.notes as t;",
        "select * from `owner_alice`.`notes` as t;",
        "select * from spark_catalog.owner_alice.notes as t;",
        "drop table owner_alice.notes;",
        "insert into owner_alice.notes values (1);",
        "create database stolen;",
        "drop database owner_alice cascade;",
        "select * from default.anything as t;",
    ):
        refused = run(bob, sql, "bob")
        assert refused.status_code == 403, (sql, refused.text)
    # a database name inside a string literal is no reference
    assert run(bob, "select 'owner_alice.notes' as s as t;", "bob").json() == [{"s": "owner_alice.notes"}]
    # alice's table is intact
    assert run(alice, "select n from notes as t;", "alice").json() == [{"n": 7}]


def test_global_temp_views_are_refused(alice: httpx.Client, bob: httpx.Client) -> None:
    made = run(alice, "create global temporary view shared as select 1 as x;", "alice")
    assert made.status_code == 403, made.text
    read = run(bob, "select * from global_temp.shared as t;", "bob")
    assert read.status_code == 403, read.text


def test_temp_views_stay_with_their_owner(alice: httpx.Client, bob: httpx.Client) -> None:
    assert run(alice, "select 42 as secret as alice_view;", "alice").status_code == 200
    assert run(alice, "select * from alice_view as t;", "alice").json() == [{"secret": 42}]
    other = run(bob, "select * from alice_view as t;", "bob")
    assert other.status_code == 400
    listed = run(bob, "load _mlsql_.`tables` as tables; select name from tables as t;", "bob").json()
    assert "alice_view" not in {row["name"] for row in listed}


def test_the_admin_token_may_act_as_anyone(admin: httpx.Client) -> None:
    assert run(admin, "select 1 as x as t;", "alice").json() == [{"x": 1}]
    assert ALICE_TOKEN not in admin.get("/runningjobs").text
