"""The ET interface: ``train|run|predict TABLE as NAME.`PATH` where ...``.

An ET is a class with a ``name``, a ``doc``, its documented parameters (these feed
``load modelParams.`NAME` ``) and ``run``. Built-in ETs live in this package; ETs from other packages
(the LLM family) register through the ``byzer_engine.ets`` entry-point group, so the runtime never
imports them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


@dataclass(frozen=True)
class ETParam:
    name: str
    doc: str
    default: str | None = None
    required: bool = False
    values: tuple[str, ...] = ()  # allowed values, when the set is closed


@dataclass
class ETContext:
    """What an ET may use: the owner's Spark session and state, and the engine's configuration."""

    spark: SparkSession
    owner: str
    home: str
    job_name: str
    group_id: str
    verb: str
    variables: dict[str, str]
    # Per-owner store that survives across scripts of that owner (e.g. ``!byzerllm setup`` keys).
    owner_state: dict[str, Any]
    # Engine configuration values an ET may need (ray_address, data_root, allow_shell, ...).
    config: Any
    # Name of the table produced by the previous statement (for ``!lastCommand``).
    last_table: str | None = None
    # Registers a cleanup to run when the job is killed (e.g. cancel in-flight LLM requests).
    on_cancel: Callable[[Callable[[], None]], None] = field(default=lambda fn: None)
    # Resolves a user path for this owner (home-relative, escape checks).
    resolve_path: Callable[[str], str] = field(default=lambda p: p)
    # The running ``Engine`` (jobs, kill, introspection); ``None`` outside one.
    engine: Any = None
    # Shows a line to the user who runs the script (``!println``; the CLI prints it on stderr).
    emit: Callable[[str], None] = field(default=lambda message: None)
    # Registers a cleanup to run when the script ends, however it ends (e.g. ``!cache T script``).
    at_script_end: Callable[[Callable[[], None]], None] = field(default=lambda fn: None)
    # The policy's check of SQL text an ET hands to Spark (user expressions); returns the SQL to run.
    check_sql: Callable[[str], str] | None = None
    # The span (``lang.statements.Span``) of the statement running the ET: where its text sits.
    statement_span: Any = None


class ET(ABC):
    """Base class for ETs."""

    name: ClassVar[str] = ""
    alg_type: ClassVar[str] = "process"
    doc: ClassVar[str] = ""
    params: ClassVar[tuple[ETParam, ...]] = ()
    example: ClassVar[str] = ""

    @abstractmethod
    def run(
        self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]
    ) -> DataFrame | None:
        """Run the ET over ``table`` (``None`` for ``command``); return the output table, if any."""

    def register(self, ctx: ETContext, path: str, function: str, options: dict[str, str]) -> None:
        """``register NAME.`PATH` as FUNCTION``: make a SQL function; ETs that can, override this."""
        from byzer_engine.lang.errors import ByzerError

        raise ByzerError(f"ET '{self.name}' cannot be registered as a function")

    def register_table(self, ctx: ETContext, path: str, options: dict[str, str]) -> list[tuple[str, str]]:
        """The result table of ``register``: the model's explanation as (name, value) rows; ETs
        without one return none, and the table is empty (key, value), as in Byzer."""
        return []
