"""Byzer's model folders: ``PATH/_model_N`` versions, ``model/<group>`` and the ``meta/0`` table.

``meta/0`` is a parquet table with one row per parameter group: modelPath (relative to PATH),
algIndex, alg (the MLlib estimator class), metrics (array of (name, value)), status, message,
startTime, endTime (epoch ms) and trainParams (map).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime.ets.ml import files

if TYPE_CHECKING:
    from pyspark.sql import SparkSession
    from pyspark.sql.types import StructType

VERSION_PREFIX = "_model_"
_VERSION = re.compile(r"^_model_(\d+)$")
DEFAULT_METRIC = "f1"


@dataclass
class GroupResult:
    """What training one parameter group produced (one row of ``meta/0``)."""

    model_path: str
    alg_index: int
    alg: str
    metrics: list[tuple[str, float]] = field(default_factory=list)
    status: str = "success"
    message: str = ""
    start_time: int = 0
    end_time: int = 0
    train_params: dict[str, str] = field(default_factory=dict)

    def metric(self, name: str) -> float | None:
        return next((v for n, v in self.metrics if n == name), None)


def meta_schema() -> StructType:
    from pyspark.sql.types import (
        ArrayType,
        DoubleType,
        IntegerType,
        LongType,
        MapType,
        StringType,
        StructField,
        StructType,
    )

    metric = StructType([StructField("name", StringType()), StructField("value", DoubleType())])
    return StructType(
        [
            StructField("modelPath", StringType()),
            StructField("algIndex", IntegerType()),
            StructField("alg", StringType()),
            StructField("metrics", ArrayType(metric)),
            StructField("status", StringType()),
            StructField("message", StringType()),
            StructField("startTime", LongType()),
            StructField("endTime", LongType()),
            StructField("trainParams", MapType(StringType(), StringType())),
        ]
    )


def versions(spark: SparkSession, path: str) -> list[int]:
    found = (_VERSION.match(name) for name in files.child_dirs(spark, path))
    return sorted(int(m.group(1)) for m in found if m)


def train_dir(spark: SparkSession, path: str, keep_version: bool) -> tuple[str, str]:
    """The folder a new ``train`` writes into and its name relative to PATH ("" = PATH itself).

    keepVersion: a new ``_model_N`` (N = highest + 1); otherwise PATH itself, emptied first."""
    if keep_version:
        existing = versions(spark, path)
        relative = f"{VERSION_PREFIX}{existing[-1] + 1 if existing else 0}"
        return files.join(path, relative), "/" + relative
    files.delete(spark, path)
    return path, ""


def write_meta(spark: SparkSession, base: str, results: list[GroupResult]) -> None:
    rows = [
        (
            r.model_path,
            r.alg_index,
            r.alg,
            [(n, float(v)) for n, v in r.metrics],
            r.status,
            r.message,
            r.start_time,
            r.end_time,
            dict(r.train_params),
        )
        for r in results
    ]
    df = spark.createDataFrame(rows, meta_schema()).coalesce(1)
    df.write.mode("overwrite").parquet(files.join(base, "meta", "0"))


def read_meta(spark: SparkSession, base: str) -> list[GroupResult]:
    rows = spark.read.parquet(files.join(base, "meta", "0")).collect()
    return [_result_of(row.asDict(recursive=True)) for row in rows]


def _result_of(row: dict[str, Any]) -> GroupResult:
    return GroupResult(
        model_path=row["modelPath"],
        alg_index=int(row["algIndex"]),
        alg=row["alg"] or "",
        metrics=[(m["name"], float(m["value"])) for m in row["metrics"] or []],
        status=row["status"] or "",
        message=row["message"] or "",
        start_time=int(row["startTime"] or 0),
        end_time=int(row["endTime"] or 0),
        train_params=dict(row["trainParams"] or {}),
    )


@dataclass(frozen=True)
class ChosenModel:
    """The model a ``predict`` / ``register`` / ``modelExplain`` uses."""

    base: str  # the version folder (or PATH when unversioned)
    group: GroupResult
    model_path: str  # absolute path of the MLlib model


def model_base(spark: SparkSession, path: str, version: str | None) -> str:
    """``modelVersion`` (default the highest ``_model_N``; PATH itself when unversioned)."""
    if version not in (None, ""):
        base = files.join(path, f"{VERSION_PREFIX}{int(str(version))}")
        if not files.exists(spark, files.join(base, "meta")):
            raise ByzerError(f"{path} has no model version {version}")
        return base
    found = versions(spark, path)
    if found:
        return files.join(path, f"{VERSION_PREFIX}{found[-1]}")
    if files.exists(spark, files.join(path, "model")) and files.exists(spark, files.join(path, "meta")):
        return path
    raise ByzerError(f"{path} is not a validate model path")


def choose(spark: SparkSession, path: str, options: dict[str, str]) -> ChosenModel:
    """The group named by ``algIndex``, else the best by ``autoSelectByMetric`` (default f1; the first
    metric when that one is absent; the first recorded group when there are no metrics)."""
    base = model_base(spark, path, options.get("modelVersion"))
    groups = read_meta(spark, base)
    ok = [g for g in groups if g.status == "success"]
    if not ok:
        messages = "; ".join(g.message for g in groups if g.message)
        raise ByzerError(f"{base} has no successfully trained model" + (f": {messages}" if messages else ""))
    chosen = select_group(ok, options.get("algIndex"), options.get("autoSelectByMetric") or DEFAULT_METRIC)
    return ChosenModel(base, chosen, files.join(base, "model", str(chosen.alg_index)))


def select_group(groups: list[GroupResult], alg_index: str | None, metric: str) -> GroupResult:
    if alg_index not in (None, ""):
        wanted = int(str(alg_index))
        for group in groups:
            if group.alg_index == wanted:
                return group
        raise ByzerError(f"no model with algIndex {alg_index}; trained: {[g.alg_index for g in groups]}")
    with_metrics = [g for g in groups if g.metrics]
    if not with_metrics:
        return groups[0]
    name = (
        metric if any(g.metric(metric) is not None for g in with_metrics) else with_metrics[0].metrics[0][0]
    )

    def score(group: GroupResult) -> float:
        value = group.metric(name)
        return value if value is not None else float("-inf")

    return max(with_metrics, key=score)
