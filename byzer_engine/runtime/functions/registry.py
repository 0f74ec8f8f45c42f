"""The SQL-function registry: built-ins of this package plus the ``byzer_engine.functions`` group."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from byzer_engine.plugins import PluginRegistry
from byzer_engine.runtime.functions.base import SqlFunction

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)


class FunctionRegistry:
    def __init__(self) -> None:
        self._plugins: PluginRegistry[SqlFunction] = PluginRegistry(
            "functions", SqlFunction, ("byzer_engine.runtime.functions",)
        )

    def names(self) -> list[str]:
        return self._plugins.names()

    def register_all(self, spark: SparkSession) -> list[str]:
        """Registers every function on ``spark``; one that cannot load or register is logged and
        skipped, so a broken third-party function never breaks a session. Returns the names done."""
        done: list[str] = []
        for entry in self._plugins.entries():
            if entry.plugin is None:
                log.warning("SQL function %s could not be loaded: %s", entry.name, entry.error)
                continue
            try:
                entry.plugin().register(spark)
            except Exception as exc:
                log.warning("SQL function %s could not be registered: %s", entry.name, exc)
                continue
            done.append(entry.name)
        return done
