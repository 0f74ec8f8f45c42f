"""Which Ray a script uses is worked out in one place (``ray_connect.requested_address``)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from byzer_engine.runtime.ray_connect import ADDRESS_ENV, requested_address


def test_the_script_setting_then_the_engine_then_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ADDRESS_ENV, raising=False)
    engine = SimpleNamespace(ray_address="head:6379")
    assert requested_address(engine, "other:6379") == "other:6379"
    assert requested_address(engine, None) == "head:6379"
    assert requested_address(SimpleNamespace(ray_address=None), "") is None
    monkeypatch.setenv(ADDRESS_ENV, "env:6379")
    assert requested_address(SimpleNamespace(ray_address=None)) == "env:6379"
    assert requested_address(engine) == "head:6379"
