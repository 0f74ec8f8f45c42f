"""What a feature ET saves for ``register``: one JSON document at ``PATH/meta`` (a one-row Parquet
table, so it lives on whatever file system PATH is on), and the shared helpers of these ETs."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime.ets.ml.files import exists, join

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def save(spark: SparkSession, path: str, document: dict[str, Any]) -> None:
    df = spark.createDataFrame([(json.dumps(document),)], "meta string").coalesce(1)
    df.write.mode("overwrite").parquet(join(path, "meta"))


def load(spark: SparkSession, path: str, et: str) -> dict[str, Any]:
    if not exists(spark, join(path, "meta")):
        raise ByzerError(f"{path} holds no {et} output (train it first)")
    row = spark.read.parquet(join(path, "meta")).first()
    assert row is not None
    document: dict[str, Any] = json.loads(row["meta"])
    return document


def empty_table(spark: SparkSession) -> DataFrame:
    from pyspark.sql.types import StructType

    return spark.createDataFrame([], StructType([]))


def input_column(
    table: DataFrame | None, options: dict[str, str], et: str, default: str = ""
) -> tuple[DataFrame, str]:
    """The table and its ``inputCol`` (``default`` when unset; required when there is none)."""
    if table is None:
        raise ByzerError(f"{et} needs a table")
    column = options.get("inputCol") or default
    if not column:
        raise ByzerError(f"{et} needs inputCol")
    if column not in table.columns:
        raise ByzerError(f"{et}: no column {column} (columns: {', '.join(table.columns)})")
    return table, column


def input_columns(table: DataFrame, options: dict[str, str], et: str) -> tuple[list[str], bool]:
    """``inputCols``: double columns, or one array<double> column (then its elements are the values)."""
    from pyspark.sql.types import ArrayType

    names = [c.strip() for c in (options.get("inputCols") or "").split(",") if c.strip()]
    if not names:
        raise ByzerError(f"{et} needs inputCols")
    missing = [n for n in names if n not in table.columns]
    if missing:
        raise ByzerError(f"{et}: no column {', '.join(missing)} (columns: {', '.join(table.columns)})")
    is_array = len(names) == 1 and isinstance(table.schema[names[0]].dataType, ArrayType)
    return names, is_array


def reject_outliers(options: dict[str, str], et: str) -> None:
    if (options.get("removeOutlierValue") or "false").strip().lower() == "true":
        raise ByzerError(f'{et}: removeOutlierValue="true" is not supported')


def value_columns(table: DataFrame, names: list[str], is_array: bool) -> tuple[DataFrame, list[str]]:
    """The table with one double column per value (an array column split into ``__v<i>``)."""
    from pyspark.sql import functions as F

    if not is_array:
        return table.select(
            *table.columns, *(F.col(n).cast("double").alias(f"__v{i}") for i, n in enumerate(names))
        ), [f"__v{i}" for i in range(len(names))]
    first = table.select(F.max(F.size(names[0]))).first()
    width = int(first[0] or 0) if first else 0
    cols = [f"__v{i}" for i in range(width)]
    return table.select(
        *table.columns, *(F.col(names[0])[i].cast("double").alias(c) for i, c in enumerate(cols))
    ), cols
