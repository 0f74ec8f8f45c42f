"""The security tests run against the same real ``byzer serve`` process as the server tests: a uvicorn
on a loopback port with its defaults (no ``--allow-shell``, ``--allow-code`` or ``--allow-any-path``);
the tests that need a differently configured server start their own (``sec_server_fixtures.py``).

The fixtures are the server tests' own (``tests/server/conftest.py``), loaded by file path because
the test folders are not packages.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import httpx
import pytest
from security_checks import run

_NAME = "byzer_server_test_fixtures"
if _NAME not in sys.modules:
    _spec = importlib.util.spec_from_file_location(
        _NAME, Path(__file__).parent.parent / "server" / "conftest.py"
    )
    assert _spec is not None and _spec.loader is not None
    sys.modules[_NAME] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules[_NAME])
_fixtures = sys.modules[_NAME]

server = _fixtures.server
server_url = _fixtures.server_url
token = _fixtures.token
data_root = _fixtures.data_root
http = _fixtures.http


@pytest.fixture()
def alive(http: httpx.Client) -> None:
    """After the test, the server still answers for everyone."""
    yield
    assert http.get("/health/readiness").status_code == 200
    assert run(http, "select 1 as a as t;", owner="bystander").json() == [{"a": 1}]

# The owner-isolation, JVM-survival and bounds tests start servers of their own (per-owner tokens,
# isolated owners): see sec_server_fixtures.py.
from sec_server_fixtures import admin, alice, bob, sec_server  # noqa: E402, F401
