"""The low findings: API docs behind the token, tokens never logged, form fields as large as JSON
bodies, and runtime errors placed where Spark says the problem is."""

from __future__ import annotations

import httpx
from sec_server_fixtures import ADMIN_TOKEN, ALICE_TOKEN, Server


def test_docs_and_schema_need_the_token(sec_server: Server) -> None:
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert httpx.get(f"{sec_server.url}{path}", timeout=30).status_code == 401, path
        wrong = httpx.get(f"{sec_server.url}{path}", headers={"Authorization": "Bearer nope-nope-nope"})
        assert wrong.status_code == 403, path
    with sec_server.client(ALICE_TOKEN) as alice:
        spec = alice.get("/openapi.json")
        assert spec.status_code == 200 and "/run/script" in spec.json()["paths"]
    page = httpx.get(f"{sec_server.url}/docs", params={"access_token": ADMIN_TOKEN}, timeout=30)
    assert page.status_code == 200 and "/openapi.json?access_token=" in page.text


def test_tokens_in_the_query_string_are_not_logged(sec_server: Server) -> None:
    answer = httpx.post(
        f"{sec_server.url}/run/script",
        params={"access_token": ADMIN_TOKEN},
        data={"sql": "select 1 as x as t;"},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    log = sec_server.log_text()
    assert "/run/script" in log  # the access log is on
    assert ADMIN_TOKEN not in log
    assert "access_token=***" in log


def test_a_multipart_field_may_be_larger_than_a_megabyte(sec_server: Server) -> None:
    filler = "x" * (3 * 1024 * 1024)
    with sec_server.client(ADMIN_TOKEN, timeout=300) as admin:
        answer = admin.post(
            "/run/script",
            files={"sql": (None, f"select length('{filler}') as n as t;"), "owner": (None, "big")},
        )
    assert answer.status_code == 200, answer.text[:500]
    assert answer.json() == [{"n": len(filler)}]


def test_runtime_errors_carry_sparks_position(admin: httpx.Client) -> None:
    script = "select 1 as a as t;\nselect a,\n  nope from t as u;"
    answer = admin.post("/run/script", data={"sql": script, "owner": "positions"})
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert (body["line"], body["column"]) == (3, 3), body
    assert "nope" in body["message"]
