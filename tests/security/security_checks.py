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
