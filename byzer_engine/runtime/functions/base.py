"""The SQL-function plugin interface: a ``name``, a ``doc`` and ``register(spark)``."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


class SqlFunction(ABC):
    """One SQL function, registered on each new owner session."""

    name: ClassVar[str] = ""
    doc: ClassVar[str] = ""

    @abstractmethod
    def register(self, spark: SparkSession) -> None:
        """Makes ``name`` callable from SQL in ``spark`` (a session-scoped temporary function)."""
