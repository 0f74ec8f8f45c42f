"""Per-owner state that outlives one script: Spark session (temp views), session-scope variables,
connect aliases, a free-form store for ETs, and the home folder."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from byzer_engine.lang.errors import ByzerAuthError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

_OWNER_NAME = re.compile(r"^[A-Za-z0-9_.@-]+$")


def check_owner_name(owner: str) -> str:
    """Owner names become folder names: refuse anything that could walk out of the data root."""
    if not owner or not _OWNER_NAME.match(owner) or owner in {".", ".."}:
        raise ByzerAuthError(f"invalid owner name {owner!r}: use letters, digits, '_', '-', '.', '@'")
    return owner


@dataclass
class OwnerSession:
    owner: str
    home: str
    spark: SparkSession
    # ``set ... where scope="session"``: resolved values visible to this owner's later scripts.
    variables: dict[str, str] = field(default_factory=dict)
    # ``connect FORMAT where ... as ALIAS``: alias -> options (with "format").
    connections: dict[str, dict[str, str]] = field(default_factory=dict)
    # Free-form per-owner store for ETs (e.g. ``!byzerllm setup`` settings).
    state: dict[str, Any] = field(default_factory=dict)
    # Tables cached with ``!cache T session``: uncached on logout.
    cached_tables: set[str] = field(default_factory=set)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def ensure_home(self) -> str:
        Path(self.home).mkdir(parents=True, exist_ok=True)
        return self.home
