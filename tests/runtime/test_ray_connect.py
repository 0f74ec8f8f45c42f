"""Which Ray a script uses is worked out in one place (``ray_connect.requested_address``), and an
embedded Ray on loopback stays there for every process that joins it."""

from __future__ import annotations

import os
import subprocess
import sys
from types import SimpleNamespace

import pytest

from byzer_engine.runtime.ray_connect import ADDRESS_ENV, LOOPBACK, _host, ensure_ray, requested_address


def test_the_script_setting_then_the_engine_then_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ADDRESS_ENV, raising=False)
    engine = SimpleNamespace(ray_address="head:6379")
    assert requested_address(engine, "other:6379") == "other:6379"
    assert requested_address(engine, None) == "head:6379"
    assert requested_address(SimpleNamespace(ray_address=None), "") is None
    monkeypatch.setenv(ADDRESS_ENV, "env:6379")
    assert requested_address(SimpleNamespace(ray_address=None)) == "env:6379"
    assert requested_address(engine) == "head:6379"


def test_host_of_an_address() -> None:
    assert _host("127.0.0.1:6379") == "127.0.0.1"
    assert _host("ray://localhost:10001") == "localhost"
    assert _host("[::1]:6379") == "::1"
    assert _host("head") == "head"


def test_a_process_that_only_connects_stays_on_loopback() -> None:
    """A Spark Python worker is started before the driver chose loopback, so it lacks the variable
    that keeps Ray there; connecting to 127.0.0.1 must not be turned into the outward address."""
    address = ensure_ray()
    assert _host(address) in LOOPBACK
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_ENABLE_WINDOWS")}
    code = (
        "import sys\n"
        "from byzer_engine.runtime.ray_connect import ensure_ray\n"
        "print(ensure_ray(sys.argv[1]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, address], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == address
