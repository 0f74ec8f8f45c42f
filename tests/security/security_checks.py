"""Requests and assertions the security tests share."""

from __future__ import annotations

import httpx


def run(http: httpx.Client, script: str, owner: str = "mallory", **fields: str) -> httpx.Response:
    """``POST /run/script`` as an owner."""
    return http.post("/run/script", data={"sql": script, "owner": owner, **fields})


def assert_refused(response: httpx.Response, *words: str) -> dict[str, object]:
    """A 403 in the API's error shape whose message has every one of ``words``."""
    assert response.status_code == 403, response.text
    body: dict[str, object] = response.json()
    assert body["kind"] == "auth error", body
    assert isinstance(body["line"], int), body
    for word in words:
        assert word in str(body["message"]), body
    assert "Traceback" not in response.text
    return body


def assert_kept_in_home(response: httpx.Response, home: str) -> None:
    """A path written as absolute was read in the owner's home (where it does not exist): a 400 that
    names the home path, nothing of the file it would have named elsewhere."""
    assert response.status_code == 400, response.text
    message = str(response.json()["message"])
    assert home in message, message
    assert "root:" not in response.text and "Traceback" not in response.text
