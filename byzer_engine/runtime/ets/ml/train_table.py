"""The table ``train`` returns: (name, value) strings, a block of rows per parameter group."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from byzer_engine.runtime.ets.ml.model_dir import GroupResult

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

SEPARATOR = ("---------------", "------------------")


def byzer_time(epoch_ms: int) -> str:
    """Byzer's ``yyyyMMdd mm:HH:ss:SSS`` (minutes before hours, as Byzer writes it)."""
    moment = datetime.fromtimestamp(epoch_ms / 1000)
    return moment.strftime("%Y%m%d %M:%H:%S:") + f"{epoch_ms % 1000:03d}"


def scala_map(params: dict[str, str]) -> str:
    return "Map(" + ", ".join(f"{k} -> {v}" for k, v in params.items()) + ")"


def metrics_text(metrics: list[tuple[str, float]]) -> str:
    return "\n".join(f"{name}:  {value}" for name, value in metrics)


def rows_of(result: GroupResult, alg_index: str | None = None) -> list[tuple[str, str]]:
    return [
        SEPARATOR,
        ("modelPath", result.model_path),
        ("algIndex", alg_index if alg_index is not None else str(result.alg_index)),
        ("alg", result.alg),
        ("metrics", metrics_text(result.metrics)),
        ("status", result.status),
        ("message", result.message),
        ("startTime", byzer_time(result.start_time)),
        ("endTime", byzer_time(result.end_time)),
        ("trainParams", scala_map(result.train_params)),
    ]


def name_value_table(spark: SparkSession, rows: list[tuple[str, str]]) -> DataFrame:
    from pyspark.sql.types import StringType, StructField, StructType

    schema = StructType([StructField("name", StringType()), StructField("value", StringType())])
    return spark.createDataFrame(rows, schema)


def train_table(spark: SparkSession, results: list[GroupResult]) -> DataFrame:
    rows: list[tuple[str, str]] = []
    for result in results:
        rows.extend(rows_of(result))
    return name_value_table(spark, rows)
