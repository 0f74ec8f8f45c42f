"""What the data ETs share: option parsing and the answer to a ``predict`` they do not support."""

from __future__ import annotations

from typing import TYPE_CHECKING

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime.ets.base import ET, ETContext

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

TRUE_WORDS = ("true", "yes", "1")
FALSE_WORDS = ("false", "no", "0")


def required(et: ET | type[ET], options: dict[str, str], key: str, hint: str = "") -> str:
    value = options.get(key, "").strip()
    if not value:
        extra = f" ({hint})" if hint else ""
        raise ByzerError(f"{et.name}: {key} is required{extra}")
    return value


def flag(et: ET | type[ET], options: dict[str, str], key: str, default: bool) -> bool:
    raw = options.get(key, "").strip().lower()
    if not raw:
        return default
    if raw in TRUE_WORDS:
        return True
    if raw in FALSE_WORDS:
        return False
    raise ByzerError(f"{et.name}: {key} must be true or false, not {options[key]!r}")


def integer(et: ET | type[ET], options: dict[str, str], key: str, default: int | None = None) -> int:
    raw = options.get(key, "").strip()
    if not raw:
        if default is None:
            raise ByzerError(f"{et.name}: {key} is required")
        return default
    try:
        return int(raw)
    except ValueError:
        raise ByzerError(f"{et.name}: {key} must be an integer, not {raw!r}") from None


def number(et: ET | type[ET], options: dict[str, str], key: str, default: float) -> float:
    raw = options.get(key, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ByzerError(f"{et.name}: {key} must be a number, not {raw!r}") from None


def need_table(et: ET | type[ET], table: DataFrame | None) -> DataFrame:
    if table is None:
        raise ByzerError(f"{et.name} needs an input table, not command")
    return table


def need_column(et: ET | type[ET], table: DataFrame, column: str, key: str) -> None:
    if column not in table.columns:
        raise ByzerError(
            f"{et.name}: {key} '{column}' is not a column of the table; columns: {', '.join(table.columns)}"
        )


def empty_result(spark: SparkSession) -> DataFrame:
    """Byzer's empty answer, an empty (param, description) table: what ``predict`` gives for an ET that
    does not score, and what an ET returns when what it made went to its PATH."""
    return spark.createDataFrame([], "param string, description string")


def is_predict(ctx: ETContext) -> bool:
    return ctx.verb == "predict"
