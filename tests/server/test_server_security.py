"""Token auth, owners kept inside their home folder, and shell commands refused by default."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

SCRIPT = {"sql": "select 1 as a as t;"}


def test_every_route_but_health_needs_the_token(server_url: str) -> None:
    with httpx.Client(base_url=server_url, timeout=60) as anonymous:
        assert anonymous.get("/health/liveness").status_code == 200
        assert anonymous.get("/health/readiness").status_code == 200
        for method, path in [
            ("POST", "/run/script"),
            ("GET", "/runningjobs"),
            ("POST", "/killjob"),
            ("POST", "/model/predict"),
            ("POST", "/user/logout"),
            ("GET", "/v1/models"),
            ("POST", "/v1/chat/completions"),
        ]:
            response = anonymous.request(method, path, data=SCRIPT if path == "/run/script" else None)
            assert response.status_code == 401, (method, path)
            assert response.headers.get("www-authenticate") == "Bearer"


def test_a_wrong_token_is_forbidden(server_url: str) -> None:
    headers = {"Authorization": "Bearer not-the-token"}
    response = httpx.post(f"{server_url}/run/script", data=SCRIPT, headers=headers, timeout=60)
    assert response.status_code == 403
    assert response.json()["kind"] == "auth error"
    openai_style = httpx.get(f"{server_url}/v1/models", headers=headers, timeout=60)
    assert openai_style.status_code == 401 and openai_style.json()["error"]["type"] == "authentication_error"


def test_byzers_access_token_field_is_accepted(server_url: str, token: str) -> None:
    response = httpx.post(f"{server_url}/run/script", data={**SCRIPT, "access_token": token}, timeout=60)
    assert response.status_code == 200 and response.json() == [{"a": 1}]


@pytest.mark.parametrize(
    "statement",
    [
        "load json.`../other_owner/secret` as t;",
        "load text.`file:///etc/passwd` as t;",
        "load text.`file:///etc/hostname` as t;",
        "select 1 as a as t;\nsave overwrite t as json.`../../escaped`;",
        "select 1 as a as t;\nsave overwrite t as json.`file:///tmp/escaped-by-owner`;",
    ],
)
def test_paths_outside_the_owners_home_are_refused(http: httpx.Client, statement: str) -> None:
    response = http.post("/run/script", data={"sql": statement, "owner": "mallory"})
    assert response.status_code == 403, response.text
    body = response.json()
    assert body["kind"] == "auth error"
    assert "home" in body["message"]
    assert isinstance(body["line"], int)


def test_absolute_paths_live_in_the_owners_home(http: httpx.Client, data_root: Path) -> None:
    script = "select 1 as a as t;\nsave overwrite t as json.`/tmp/escaped-by-owner`;"
    response = http.post("/run/script", data={"sql": script, "owner": "mallory"})
    assert response.status_code == 200, response.text
    assert (data_root / "mallory" / "tmp" / "escaped-by-owner").is_dir()
    response = http.post("/run/script", data={"sql": "load text.`/etc/passwd` as t;", "owner": "mallory"})
    assert response.status_code == 400 and "root:" not in response.text
    assert str(data_root / "mallory" / "etc" / "passwd") in response.json()["message"]


def test_nothing_was_written_outside_the_home(data_root: Path) -> None:
    assert not (data_root.parent / "escaped").exists()
    assert not Path("/tmp/escaped-by-owner").exists()


def test_shell_variables_are_refused_unless_allowed(http: httpx.Client) -> None:
    response = http.post(
        "/run/script", data={"sql": 'set who=`whoami` where type="shell";\nselect "${who}" as w as t;'}
    )
    assert response.status_code == 403
    assert response.json()["kind"] == "auth error" and response.json()["line"] == 1
