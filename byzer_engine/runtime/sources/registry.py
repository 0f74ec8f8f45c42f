"""The data-source registry: ``load FORMAT.`PATH` `` finds FORMAT here, else Spark's own format."""

from __future__ import annotations

import importlib

from byzer_engine.runtime.sources.base import DataSource
from byzer_engine.runtime.sources.spark_format import SparkFormatSource

# The one place to add a source family: a module that defines ``SOURCES`` (a tuple of classes).
SOURCE_MODULES: tuple[str, ...] = (
    "byzer_engine.runtime.sources.files",
    "byzer_engine.runtime.sources.strings",
    "byzer_engine.runtime.sources.jdbc",
    "byzer_engine.runtime.sources.introspection",
)


class SourceRegistry:
    def __init__(self) -> None:
        self._sources: dict[str, DataSource] = {}
        for module_name in SOURCE_MODULES:
            module = importlib.import_module(module_name)
            for source_class in module.SOURCES:
                self.add(source_class())

    def add(self, source: DataSource) -> None:
        self._sources[source.name] = source

    def get(self, name: str) -> DataSource:
        """The source named ``name`` (exact, then case-insensitive); else Spark's reader/writer."""
        found = self._sources.get(name)
        if found is not None:
            return found
        lowered = name.lower()
        for key, source in self._sources.items():
            if key.lower() == lowered:
                return source
        return SparkFormatSource(name)

    def all(self) -> list[DataSource]:
        return sorted(self._sources.values(), key=lambda s: s.name.lower())
