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

# The one owner-name rule, used by the CLI, the server and the engine. Owner names become folder
# names under the data root: nothing that could climb out, hide (a leading '.') or read as a flag.
_OWNER_NAME = re.compile(r"^[A-Za-z0-9_@][A-Za-z0-9_.@-]{0,127}$")
OWNER_RULE = "1-128 letters, digits or '_', '.', '@', '-' (not starting with '.' or '-', no '..')"


def owner_name_problem(owner: str) -> str | None:
    """Why ``owner`` is not a valid owner name, or ``None`` when it is."""
    if not _OWNER_NAME.fullmatch(owner) or ".." in owner:
        return f"invalid owner name {owner!r}: use {OWNER_RULE}"
    return None


def check_owner_name(owner: str) -> str:
    """``owner`` if it is a valid owner name; ``ByzerAuthError`` otherwise."""
    problem = owner_name_problem(owner)
    if problem:
        raise ByzerAuthError(problem)
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
