"""The data-source registry: ``load FORMAT.`PATH` `` finds FORMAT here, else Spark's own format.

Every ``DataSource`` class with a ``name`` in a module of this package is a source (one module per
family); other packages add theirs through the ``byzer_engine.sources`` entry-point group, in the
style of ``byzer_engine.plugins``.
"""

from __future__ import annotations

from byzer_engine.lang.errors import ByzerError
from byzer_engine.plugins import BrokenPlugin, PluginRegistry
from byzer_engine.runtime.sources.base import DataSource
from byzer_engine.runtime.sources.spark_format import SparkFormatSource


class SourceRegistry:
    def __init__(self) -> None:
        self._plugins: PluginRegistry[DataSource] = PluginRegistry(
            "sources", DataSource, ("byzer_engine.runtime.sources",)
        )
        self._instances: dict[str, DataSource] = {}

    def add(self, source: DataSource) -> None:
        self._plugins.add(type(source), source.name)
        self._instances[source.name] = source

    def get(self, name: str) -> DataSource:
        """The source named ``name`` (exact, then case-insensitive); else Spark's reader/writer."""
        canonical = self._plugins.canonical(name)
        if canonical is None:
            return SparkFormatSource(name)
        if canonical not in self._instances:
            try:
                self._instances[canonical] = self._plugins.get(canonical)()
            except BrokenPlugin as exc:
                raise ByzerError(str(exc).replace("sources '", "data source '", 1)) from None
        return self._instances[canonical]

    def all(self) -> list[DataSource]:
        return sorted((self.get(n) for n in self._plugins.names()), key=lambda s: s.name.lower())
