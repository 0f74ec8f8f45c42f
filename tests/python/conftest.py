"""Fixtures of the Byzer-python tests: the run's Ray (joined, or started in this process).

The statements start Ray themselves when needed (``ensure_ray``); the fixture only makes sure it is
stopped at the end of the run and gives tests the address.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from byzer_engine.runtime.ray_connect import ensure_ray, shutdown_ray


@pytest.fixture(scope="session")
def ray_address() -> Iterator[str]:
    yield ensure_ray(os.environ.get("BYZER_RAY_ADDRESS"))
    shutdown_ray()
