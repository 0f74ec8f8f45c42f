"""The data-source interface: ``load FORMAT.`PATH` `` and ``save ... as FORMAT.`PATH` ``.

One module per family under this package registers its sources by name; an unknown name falls
through to Spark's own reader/writer as a format name.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


@dataclass
class SourceContext:
    """What a source may use: the owner's session, variables, connect aliases and path resolution."""

    spark: SparkSession
    owner: str
    home: str
    variables: dict[str, str]
    connections: dict[str, dict[str, str]]  # connect alias -> options
    config: Any
    resolve_path: Any  # Callable[[str], str]
    # The running ``Engine`` (introspection sources list its ETs and jobs); ``None`` outside one.
    engine: Any = None


class DataSource(ABC):
    name: ClassVar[str] = ""
    # One line for ``load _mlsql_.`datasources` ``.
    doc: ClassVar[str] = ""
    # Whether PATH is a file-system path to resolve against the owner's home.
    path_is_file: ClassVar[bool] = True

    @abstractmethod
    def load(self, ctx: SourceContext, path: str, options: dict[str, str]) -> DataFrame:
        """Read PATH into a DataFrame."""

    def save(
        self,
        ctx: SourceContext,
        df: DataFrame,
        path: str,
        mode: str,
        options: dict[str, str],
        partition_by: tuple[str, ...],
    ) -> None:
        from byzer_engine.lang.errors import ByzerError

        raise ByzerError(f"data source '{self.name}' cannot be saved to")
