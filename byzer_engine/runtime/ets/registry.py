"""The ET registry: every ET class in a module of this package, plus the ``byzer_engine.ets``
entry-point group (the LLM family, Byzer-python, third-party packages), in the style of
``byzer_engine.plugins``.

Entry points are only listed at start-up; each is imported the first time it is used (or when
``load modelList.`` `` needs its documentation), so the runtime never imports the LLM stack itself.
"""

from __future__ import annotations

from byzer_engine.lang.errors import ByzerError
from byzer_engine.plugins import BrokenPlugin, PluginEntry, PluginRegistry, UnknownPlugin
from byzer_engine.runtime.ets.base import ET

ETEntry = PluginEntry[ET]


class ETRegistry:
    def __init__(self) -> None:
        self._plugins: PluginRegistry[ET] = PluginRegistry("ets", ET, ("byzer_engine.runtime.ets",))

    def register(self, et_class: type[ET]) -> None:
        """Adds an ET at run time (an embedding application's own ET)."""
        self._plugins.add(et_class)

    def names(self) -> list[str]:
        return self._plugins.names()

    def canonical(self, name: str) -> str | None:
        """The registered spelling of ``name``: as written, or with its first letter's case flipped
        (Byzer ignores the first letter's case only: ``randomForest`` is ``RandomForest``, ``RANDOMFOREST``
        is unknown)."""
        known = set(self.names())
        candidates = (name, name[:1].upper() + name[1:], name[:1].lower() + name[1:])
        return next((c for c in candidates if c in known), None)

    def get_class(self, name: str) -> type[ET]:
        canonical = self.canonical(name)
        try:
            if canonical is None:
                raise UnknownPlugin(name)
            return self._plugins.get(canonical)
        except UnknownPlugin:
            raise ByzerError(f"unknown ET '{name}'; known ETs: {', '.join(self.names())}") from None
        except BrokenPlugin as exc:
            raise ByzerError(str(exc).replace("ets '", "ET '", 1)) from None

    def create(self, name: str) -> ET:
        return self.get_class(name)()

    def entries(self) -> list[ETEntry]:
        return self._plugins.entries()
