"""The console's routes behind the server's auth: per-owner tokens reach only their owners' notebooks.

The app is the real one (``create_console_app``); these routes need no engine, so it is not started.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from byzer_engine.console import create_console_app
from byzer_engine.runtime import EngineConfig

ADMIN = "admin-token-1234"
ALICE = "alice-token-1234"
BOB = "bob-token-12345"
CELLS = {"cells": [{"kind": "byzer", "source": "select 1 as a as t;"}]}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    root = tmp_path_factory.mktemp("console-routes")
    config = EngineConfig(data_root=str(root), token=ADMIN, tokens={ALICE: ["alice"], BOB: ["bob"]})
    return TestClient(create_console_app(config))


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_page_is_served_without_a_token(api: TestClient) -> None:
    page = api.get("/")
    assert page.status_code in (200, 503)  # 503: a page saying the front end is not built
    assert "Byzer Notebook" in page.text


def test_notebook_routes_need_a_token(api: TestClient) -> None:
    assert api.get("/console/api/notebooks", params={"owner": "alice"}).status_code == 401
    wrong = api.get("/console/api/notebooks", params={"owner": "alice"}, headers=auth("nope-nope-nope"))
    assert wrong.status_code == 403


def test_an_owner_token_reaches_only_its_owner(api: TestClient) -> None:
    made = api.post("/console/api/notebooks/mine", params={"owner": "alice"}, json=CELLS, headers=auth(ALICE))
    assert made.status_code == 200, made.text
    for method, path in [("GET", "/notebooks"), ("GET", "/notebooks/mine"), ("DELETE", "/notebooks/mine")]:
        refused = api.request(method, "/console/api" + path, params={"owner": "alice"}, headers=auth(BOB))
        assert refused.status_code == 403, (method, path, refused.text)
        assert refused.json()["kind"] == "auth error"
    assert (
        api.get("/console/api/notebooks", params={"owner": "bob"}, headers=auth(BOB)).json()["notebooks"]
        == []
    )
    listed = api.get("/console/api/notebooks", params={"owner": "alice"}, headers=auth(ADMIN)).json()
    assert [n["name"] for n in listed["notebooks"]] == ["mine"]


def test_names_and_owners_cannot_leave_the_home(api: TestClient, tmp_path: Path) -> None:
    for name in ["..%2F..%2Fescape", "%2E%2E", ".hidden"]:
        response = api.put(
            f"/console/api/notebooks/{name}", params={"owner": "alice"}, json=CELLS, headers=auth(ALICE)
        )
        assert response.status_code in (400, 404), (name, response.text)
    bad_owner = api.get("/console/api/notebooks", params={"owner": "../alice"}, headers=auth(ADMIN))
    assert bad_owner.status_code == 403
    missing = api.get("/console/api/notebooks/none", params={"owner": "alice"}, headers=auth(ALICE))
    assert missing.status_code == 404
    assert missing.json()["kind"] == "not found"


def test_examples_are_listed_and_read_only(api: TestClient) -> None:
    names = [e["name"] for e in api.get("/console/api/examples", headers=auth(BOB)).json()["examples"]]
    assert "ETL" in names and any(n.startswith("LLM") for n in names)
    etl = api.get("/console/api/examples/ETL", headers=auth(BOB)).json()
    assert etl["readOnly"] is True and etl["cells"]
