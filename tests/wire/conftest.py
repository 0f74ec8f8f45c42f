"""A real MySQL-protocol listener over the test run's one Engine, on a free loopback port.

The listener's configuration carries a token (the password); the engine is the shared ``engine``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pymysql
import pytest

from byzer_engine.runtime import Engine
from byzer_engine.wire import WireListener, WireSettings

TOKEN = "wire-token-5c2e"


@pytest.fixture(scope="session")
def wire(engine: Engine) -> Iterator[WireListener]:
    config = dataclasses.replace(engine.config, token=TOKEN)
    listener = WireListener(config, engine, WireSettings(host="127.0.0.1", port=0, threads=4))
    listener.start()
    yield listener
    listener.stop()


@pytest.fixture(scope="session")
def open_wire(engine: Engine) -> Iterator[WireListener]:
    """A listener of an engine without a token: loopback clients only, any password."""
    config = dataclasses.replace(engine.config, token=None)
    listener = WireListener(config, engine, WireSettings(host="127.0.0.1", port=0, threads=2))
    listener.start()
    yield listener
    listener.stop()


def connect(wire: WireListener, owner: str = "alice", password: str = TOKEN, **kwargs: Any) -> Any:
    return pymysql.connect(
        host="127.0.0.1", port=wire.port, user=owner, password=password, autocommit=True, **kwargs
    )


def query(connection: Any, sql: str, args: Any = None) -> tuple[list[str], list[tuple[Any, ...]]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        names = [d[0] for d in cursor.description or ()]
        return names, list(cursor.fetchall())
