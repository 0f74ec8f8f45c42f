"""Readers and overwriters of one path, inside one engine: a reader sees the old data or the new.

Spark lists a folder's files when a ``load`` makes its DataFrame and opens them when a later
statement runs a job; an overwrite that swapped the folder in between would leave that reader with
files that are gone. So a script that loads a path holds a shared claim on it until the script ends
(``script_reads`` around a script, ``note_reads`` in the loaders), and an overwrite swaps its staged
data into place only under an exclusive claim (``swapping``): it waits until the scripts reading the
path (other than its own) have ended. New readers wait while a swap is pending, so writers are not
starved. A swap that waits longer than ``SWAP_WAIT_S`` fails with an error naming the path (its
staged data is removed) rather than wait forever, e.g. when two scripts each read a path and then
overwrite it.

Across processes, the swap itself is still atomic (``renameat2(RENAME_EXCHANGE)``, see ``atomic``):
a reader there lists either the old folder or the new one.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from byzer_engine.lang.errors import ByzerRuntimeError

SWAP_WAIT_S = 60.0


@dataclass
class _PathState:
    readers: dict[int, int] = field(default_factory=dict)  # script id -> claims
    writers_waiting: int = 0
    writing: bool = False


@dataclass
class _Script:
    paths: set[str] = field(default_factory=set)
    check: Callable[[], None] = field(default=lambda: None)


_lock = threading.Condition()
_paths: dict[str, _PathState] = {}
_current: contextvars.ContextVar[_Script | None] = contextvars.ContextVar("byzer_script_reads", default=None)


def _key(path: str) -> str:
    for prefix in ("file://", "file:"):
        if path.startswith(prefix):
            path = path[len(prefix) :]
            break
    return path.rstrip("/") or "/"


@contextmanager
def script_reads(check: Callable[[], None] = lambda: None) -> Iterator[None]:
    """The paths this script loads stay claimed until it ends; ``check`` raises to stop a wait."""
    script = _Script(check=check)
    token = _current.set(script)
    try:
        yield
    finally:
        _current.reset(token)
        with _lock:
            for path in script.paths:
                state = _paths.get(path)
                if state is not None:
                    state.readers.pop(id(script), None)
                    _forget_if_idle(path, state)
            _lock.notify_all()


def note_reads(paths: list[str]) -> list[str]:
    """Claims ``paths`` for the running script (waiting while one is being swapped); returns them."""
    script = _current.get()
    if script is None:
        return paths
    with _lock:
        for raw in paths:
            path = _key(raw)
            if path in script.paths:
                continue
            # Looked up again after each wait: a swap that ended with no reader registered forgets
            # the path's state, and a claim made on that forgotten state would protect nothing.
            state = _paths.setdefault(path, _PathState())
            while state.writing or state.writers_waiting:
                _lock.wait(0.2)
                script.check()
                state = _paths.setdefault(path, _PathState())
            state.readers[id(script)] = state.readers.get(id(script), 0) + 1
            script.paths.add(path)
    return paths


@contextmanager
def swapping(path: str) -> Iterator[None]:
    """An exclusive claim on ``path`` while its new data is swapped in."""
    key = _key(path)
    script = _current.get()
    me = id(script) if script is not None else None
    deadline = time.monotonic() + SWAP_WAIT_S
    with _lock:
        state = _paths.setdefault(key, _PathState())
        state.writers_waiting += 1
        try:
            while state.writing or any(reader != me for reader in state.readers):
                if time.monotonic() > deadline:
                    raise ByzerRuntimeError(
                        f"could not overwrite {path}: other scripts kept reading it for {SWAP_WAIT_S:g}s"
                    )
                _lock.wait(0.2)
                if script is not None:
                    script.check()
        finally:
            state.writers_waiting -= 1
            _lock.notify_all()
        state.writing = True
    try:
        yield
    finally:
        with _lock:
            state.writing = False
            _forget_if_idle(key, state)
            _lock.notify_all()


def _forget_if_idle(path: str, state: _PathState) -> None:
    if not state.readers and not state.writers_waiting and not state.writing:
        _paths.pop(path, None)
