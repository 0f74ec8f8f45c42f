"""The shapes a job is shown in: the summary row (outputTable), the loss log (``<outputTable>_log``,
``load _mlsql_.`jobs/NAME` ``) and the row of ``list_jobs()``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

SUMMARY_COLUMNS = (
    ("name", "string"),
    ("status", "string"),
    ("base_model", "string"),
    ("adapter_path", "string"),
    ("steps", "bigint"),
    ("final_loss", "double"),
    ("elapsed_s", "double"),
    ("train_rows", "bigint"),
    ("output_dir", "string"),
    ("plot_path", "string"),
    ("error", "string"),
)
LOG_COLUMNS = (
    ("step", "bigint"),
    ("epoch", "double"),
    ("loss", "double"),
    ("learning_rate", "double"),
    ("grad_norm", "double"),
)


def _schema(columns: Sequence[tuple[str, str]]) -> StructType:
    from pyspark.sql.types import DoubleType, LongType, StringType, StructField, StructType

    types = {"string": StringType(), "bigint": LongType(), "double": DoubleType()}
    return StructType([StructField(name, types[kind], nullable=True) for name, kind in columns])


def _typed(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "bigint":
        return int(value)
    if kind == "double":
        return float(value)
    return str(value)


def summary_row(record: Mapping[str, Any]) -> dict[str, Any]:
    """A registry record as the summary row (only the terminal, user-facing fields)."""
    source = {**record, "steps": record.get("step"), "final_loss": record.get("loss")}
    return {name: _typed(source.get(name), kind) for name, kind in SUMMARY_COLUMNS}


def log_rows(log: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{name: _typed(entry.get(name), kind) for name, kind in LOG_COLUMNS} for entry in log]


def summary_frame(spark: SparkSession, record: Mapping[str, Any]) -> DataFrame:
    row = summary_row(record)
    return spark.createDataFrame([tuple(row[name] for name, _ in SUMMARY_COLUMNS)], _schema(SUMMARY_COLUMNS))


def log_frame(spark: SparkSession, log: Sequence[Mapping[str, Any]]) -> DataFrame:
    rows = [tuple(row[name] for name, _ in LOG_COLUMNS) for row in log_rows(log)]
    return spark.createDataFrame(rows, _schema(LOG_COLUMNS))


def job_row(record: Mapping[str, Any]) -> dict[str, Any]:
    """One row of ``list_jobs()`` (JSON-safe): ``name`` plus the engine's job columns (jobName, jobType,
    progress, startTime, status) so the rows line up in ``load _mlsql_.`jobs` ``, then the training state."""
    start = record.get("start_time")
    step = _typed(record.get("step"), "bigint")
    total = _typed(record.get("total_steps"), "bigint")
    return {
        "name": record.get("name"),
        "owner": record.get("owner"),
        "jobName": record.get("name"),
        "jobType": "finetune",
        "progress": f"{step or 0}/{total}" if total else None,
        "startTime": None if start is None else int(float(start) * 1000),
        "status": record.get("status"),
        "phase": record.get("phase"),
        "step": step,
        "total_steps": total,
        "epoch": _typed(record.get("epoch"), "double"),
        "loss": _typed(record.get("loss"), "double"),
        "elapsed_s": _typed(record.get("elapsed_s"), "double"),
        "train_rows": _typed(record.get("train_rows"), "bigint"),
        "base_model": record.get("base_model"),
        "adapter_path": record.get("adapter_path"),
        "output_dir": record.get("output_dir"),
        "error": record.get("error"),
    }
