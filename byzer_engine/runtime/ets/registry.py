"""The ET registry: built-in ETs by module path, plus the ``byzer_engine.ets`` entry-point group.

Entry points are only listed at start-up; each is imported the first time it is used (or when
``load modelList.`` `` needs its documentation), so the runtime never imports the LLM stack itself.
"""

from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime.ets.base import ET

ENTRY_POINT_GROUP = "byzer_engine.ets"

# The one place to add a built-in ET: "module:Class".
BUILTIN_ETS: tuple[str, ...] = (
    "byzer_engine.runtime.ets.show:ShowTableExt",
    "byzer_engine.runtime.ets.show:ShowCommand",
    "byzer_engine.runtime.ets.commands:Kill",
    "byzer_engine.runtime.ets.commands:PrintCommand",
    "byzer_engine.runtime.ets.commands:LastCommand",
    "byzer_engine.runtime.ets.assert_ext:AssertExt",
    "byzer_engine.runtime.ets.cache_ext:CacheExt",
    "byzer_engine.runtime.ets.script_udf:ScriptUDF",
)


@dataclass(frozen=True)
class ETEntry:
    """One ET as listed by ``load modelList.`` ``: its class, or why it could not be loaded."""

    name: str
    et_class: type[ET] | None
    error: str | None = None


def _import(target: str) -> type[ET]:
    module_name, class_name = target.split(":")
    et_class: type[ET] = getattr(importlib.import_module(module_name), class_name)
    return et_class


class ETRegistry:
    def __init__(self) -> None:
        self._classes: dict[str, type[ET]] = {}
        for target in BUILTIN_ETS:
            et_class = _import(target)
            self._classes[et_class.name] = et_class
        self._pending: dict[str, EntryPoint] = {
            ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name not in self._classes
        }
        self._failed: dict[str, str] = {}
        # Entry points are imported lazily, possibly from several request threads at once.
        self._lock = threading.RLock()

    def register(self, et_class: type[ET]) -> None:
        """Adds an ET at run time (an embedding application's own ET)."""
        with self._lock:
            self._classes[et_class.name] = et_class
            self._pending.pop(et_class.name, None)
            self._failed.pop(et_class.name, None)

    def names(self) -> list[str]:
        return sorted({*self._classes, *self._pending, *self._failed}, key=str.lower)

    def _canonical(self, name: str) -> str | None:
        for known in (*self._classes, *self._pending, *self._failed):
            if known == name:
                return known
        lowered = name.lower()
        for known in (*self._classes, *self._pending, *self._failed):
            if known.lower() == lowered:
                return known
        return None

    def _load_pending(self, name: str) -> None:
        entry = self._pending.pop(name)
        try:
            loaded = entry.load()
        except Exception as exc:  # a broken plugin must not break the other ETs
            self._failed[name] = f"{type(exc).__name__}: {exc}"
            return
        self._classes[name] = loaded

    def get_class(self, name: str) -> type[ET]:
        with self._lock:
            canonical = self._canonical(name)
            if canonical is None:
                known = ", ".join(self.names())
                raise ByzerError(f"unknown ET '{name}'; known ETs: {known}")
            if canonical in self._pending:
                self._load_pending(canonical)
            if canonical in self._failed:
                raise ByzerError(f"ET '{canonical}' could not be loaded: {self._failed[canonical]}")
            return self._classes[canonical]

    def create(self, name: str) -> ET:
        return self.get_class(name)()

    def entries(self) -> list[ETEntry]:
        with self._lock:
            for name in list(self._pending):
                self._load_pending(name)
            out = [ETEntry(n, c) for n, c in self._classes.items()]
            out += [ETEntry(n, None, e) for n, e in self._failed.items()]
        return sorted(out, key=lambda e: e.name.lower())
