"""Fixtures of the LLM tests: one Ray for the run and one deployed chat model, shared by every module.

``ray_address`` starts (or joins, with BYZER_RAY_ADDRESS) the run's Ray in this process; other test
packages get the same Ray by calling ``ensure_ray`` (it is per process). ``chat_model`` deploys the
packaged SmolLM2 once, with two workers and a 2048-token context (so that a group larger than the
context is cheap to build), through a real script on the shared ``engine``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from llm_support import CHAT, DEPLOY_CHAT, OWNER, ChatModel

from byzer_engine.runtime import Engine
from byzer_engine.runtime.ray_connect import ensure_ray, shutdown_ray


@pytest.fixture(scope="session")
def ray_address() -> Iterator[str]:
    yield ensure_ray(os.environ.get("BYZER_RAY_ADDRESS"))
    shutdown_ray()


@pytest.fixture(scope="session")
def chat_model(engine: Engine, ray_address: str) -> ChatModel:
    """The packaged model deployed as ``chat`` (two workers) and registered in OWNER's session."""
    rows = engine.run_script(DEPLOY_CHAT, owner=OWNER).rows
    assert rows[0]["udfName"] == CHAT
    return ChatModel(engine)
