"""Per-owner tokens log in over MySQL exactly as over HTTP: the policy says which tokens may act as
an owner (``policy.tokens_for_owner``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pymysql
import pytest
from wire_support import connect, query

from byzer_engine.runtime import Engine
from byzer_engine.wire import WireListener, WireSettings

ADMIN = "wire-admin-77"
ALICE = "wire-alice-77"


@pytest.fixture(scope="module")
def owner_tokens_wire(engine: Engine) -> Iterator[WireListener]:
    config = dataclasses.replace(engine.config, token=ADMIN, tokens={ALICE: ["alice"]})
    listener = WireListener(config, engine, WireSettings(host="127.0.0.1", port=0, threads=2))
    listener.start()
    yield listener
    listener.stop()


def test_an_owner_token_logs_in_as_its_owner_only(owner_tokens_wire: WireListener) -> None:
    with connect(owner_tokens_wire, owner="alice", password=ALICE) as connection:
        assert query(connection, "SELECT 1 AS a")[1] == [(1,)]
    with pytest.raises(pymysql.err.OperationalError) as refused:
        connect(owner_tokens_wire, owner="bob", password=ALICE)
    assert refused.value.args[0] == 1045
    with connect(owner_tokens_wire, owner="bob", password=ADMIN) as connection:
        assert query(connection, "SELECT 2 AS b")[1] == [(2,)]
