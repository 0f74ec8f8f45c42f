"""A SQL function backed by a plain Python UDF (for values Spark has no native expression for,
such as MLlib vectors, whose UDT Arrow-based UDFs cannot carry)."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from byzer_engine.runtime.functions.base import SqlFunction

if TYPE_CHECKING:
    from pyspark.sql import SparkSession
    from pyspark.sql.types import DataType


class PythonFunction(SqlFunction):
    """Base for Python-UDF functions: subclasses give ``return_type()`` and ``call``."""

    name: ClassVar[str] = ""

    @staticmethod
    @abstractmethod
    def return_type() -> DataType:
        """The SQL type of the function's result."""

    @staticmethod
    @abstractmethod
    def call(*args: Any) -> Any:
        """The function over one row's (non-null) arguments."""

    def register(self, spark: SparkSession) -> None:
        spark.udf.register(self.name, _null_safe(type(self).call), type(self).return_type())


def _null_safe(fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapped(*args: Any) -> Any:
        if any(a is None for a in args):
            return None
        return fn(*args)

    return wrapped
