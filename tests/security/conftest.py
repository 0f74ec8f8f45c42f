"""The security tests run against the same real ``byzer serve`` process as the server tests: a uvicorn
on a loopback port with its defaults (no ``--allow-shell``, ``--allow-code`` or ``--allow-any-path``);
the tests that need a differently configured server start their own (``sec_server_fixtures.py``).

The fixtures (``server``, ``http`` ...) are the server tests' own, from ``tests/server_fixtures.py``.
"""

from __future__ import annotations

import httpx
import pytest

# The owner-isolation, JVM-survival and bounds tests use a server of their own (per-owner tokens,
# isolated owners): see sec_server_fixtures.py.
from sec_server_fixtures import admin, alice, bob, sec_server  # noqa: F401
from security_checks import run


@pytest.fixture()
def alive(http: httpx.Client) -> None:
    """After the test, the server still answers for everyone."""
    yield
    assert http.get("/health/readiness").status_code == 200
    assert run(http, "select 1 as a as t;", owner="bystander").json() == [{"a": 1}]
