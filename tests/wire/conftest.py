"""A real MySQL-protocol listener over the test run's one Engine, on a free loopback port.

The listener's configuration carries a token (the password); the engine is the shared ``engine``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from wire_support import TOKEN

from byzer_engine.runtime import Engine
from byzer_engine.wire import WireListener, WireSettings


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
