"""One way to register a plugin of any kind: data sources, ETs, macros, LLM backends, SQL functions.

- A built-in plugin is a class with a non-empty ``name``, defined in a module under its kind's
  package (``byzer_engine/runtime/ets/``, ``byzer_engine/runtime/sources/`` ...). Adding one is adding
  that module: the registry walks the package and imports its modules the first time it is asked.
- A plugin living in another package (the LLM ETs, Byzer-python, a third-party package) is named in
  the kind's entry-point group, ``byzer_engine.<kind>`` (``NAME = "module:Class"``). Entry points are
  listed at start-up and imported only when first used, so a broken or heavy plugin costs nothing until
  then, and one that fails to import is reported by name without breaking the others.
- A plugin declares its own traits as class attributes (an LLM backend: GPU need, batching ...), so no
  caller branches on plugin names.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import logging
import pkgutil
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Generic, TypeVar

T = TypeVar("T")

ENTRY_POINT_PREFIX = "byzer_engine."
log = logging.getLogger(__name__)


@functools.cache
def loaded_entry_points(group: str) -> tuple[Any, ...]:
    """The loaded values of an entry-point group (a plugin contract's implementations), read once per
    process, as the registries read theirs; one that cannot be loaded is logged and left out, so a
    broken plugin never breaks the others."""
    found: list[Any] = []
    for entry in entry_points(group=group):
        try:
            found.append(entry.load())
        except Exception as exc:
            log.warning("%s plugin %s cannot be loaded: %s", group, entry.name, exc)
    return tuple(found)


@dataclass(frozen=True)
class PluginEntry(Generic[T]):
    """One plugin as listed (``load modelList.`` `` for ETs): its class, or why it could not load."""

    name: str
    plugin: type[T] | None
    error: str | None = None


class UnknownPlugin(LookupError):
    pass


class BrokenPlugin(LookupError):
    pass


def plugin_classes(module: object, base: type[Any]) -> list[type[Any]]:
    """The plugins a module defines: concrete subclasses of ``base`` with a ``name``."""
    found: list[type[Any]] = []
    module_name = getattr(module, "__name__", "")
    for _, value in inspect.getmembers(module, inspect.isclass):
        if (
            issubclass(value, base)
            and value.__module__ == module_name
            and isinstance(getattr(value, "name", None), str)
            and value.name  # type: ignore[attr-defined]
            and not inspect.isabstract(value)
        ):
            found.append(value)
    return found


def _modules_of(package_name: str) -> Iterable[str]:
    package = importlib.import_module(package_name)
    for info in pkgutil.walk_packages(package.__path__, prefix=package_name + "."):
        leaf = info.name.rsplit(".", 1)[-1]
        if not leaf.startswith("_"):
            yield info.name


class PluginRegistry(Generic[T]):
    """Plugins of one kind by name: built-ins from ``packages``, others from the entry-point group."""

    def __init__(self, kind: str, base: type[Any], packages: tuple[str, ...] = ()) -> None:
        self.kind = kind
        self.base = base
        self.group = ENTRY_POINT_PREFIX + kind
        self._packages = packages
        self._classes: dict[str, type[T]] = {}
        self._pending: dict[str, EntryPoint] = {}
        self._failed: dict[str, str] = {}
        self._discovered = False
        # Plugins are imported lazily, possibly from several request threads at once.
        self._lock = threading.RLock()

    # -- discovery -----------------------------------------------------------------------------------
    def _discover(self) -> None:
        if self._discovered:
            return
        with self._lock:
            if self._discovered:
                return
            for package in self._packages:
                for module_name in _modules_of(package):
                    for plugin in plugin_classes(importlib.import_module(module_name), self.base):
                        self._classes.setdefault(plugin.name, plugin)  # type: ignore[attr-defined]
            for entry in entry_points(group=self.group):
                if entry.name not in self._classes:
                    self._pending[entry.name] = entry
            self._discovered = True

    def _load_pending(self, name: str) -> None:
        entry = self._pending.pop(name)
        try:
            loaded = entry.load()
        except Exception as exc:  # a broken plugin must not break the others
            self._failed[name] = f"{type(exc).__name__}: {exc}"
            return
        self._classes[name] = loaded

    # -- lookups -------------------------------------------------------------------------------------
    def add(self, plugin: type[T], name: str | None = None) -> None:
        """Adds a plugin at run time (an embedding application's own)."""
        self._discover()
        key = name or plugin.name  # type: ignore[attr-defined]
        with self._lock:
            self._classes[key] = plugin
            self._pending.pop(key, None)
            self._failed.pop(key, None)

    def names(self) -> list[str]:
        self._discover()
        with self._lock:
            return sorted({*self._classes, *self._pending, *self._failed}, key=str.lower)

    def canonical(self, name: str) -> str | None:
        """The registered spelling of ``name``: exact first, then case-insensitive."""
        self._discover()
        with self._lock:
            known = (*self._classes, *self._pending, *self._failed)
            if name in known:
                return name
            lowered = name.lower()
            return next((k for k in known if k.lower() == lowered), None)

    def find(self, name: str) -> type[T] | None:
        """The plugin called ``name`` or ``None``; ``BrokenPlugin`` if it exists but cannot load."""
        canonical = self.canonical(name)
        if canonical is None:
            return None
        with self._lock:
            if canonical in self._pending:
                self._load_pending(canonical)
            if canonical in self._failed:
                raise BrokenPlugin(
                    f"{self.kind} '{canonical}' could not be loaded: {self._failed[canonical]}"
                )
            return self._classes[canonical]

    def get(self, name: str) -> type[T]:
        """The plugin called ``name``; ``UnknownPlugin`` (listing the known names) if there is none."""
        found = self.find(name)
        if found is None:
            raise UnknownPlugin(f"unknown {self.kind} '{name}'; known: {', '.join(self.names())}")
        return found

    def entries(self) -> list[PluginEntry[T]]:
        """Every plugin, loading the pending ones, with the error of those that cannot load."""
        self._discover()
        with self._lock:
            for name in list(self._pending):
                self._load_pending(name)
            out = [PluginEntry(n, c) for n, c in self._classes.items()]
            out += [PluginEntry[T](n, None, e) for n, e in self._failed.items()]
        return sorted(out, key=lambda e: e.name.lower())


__all__ = ["BrokenPlugin", "PluginEntry", "PluginRegistry", "UnknownPlugin", "plugin_classes"]
