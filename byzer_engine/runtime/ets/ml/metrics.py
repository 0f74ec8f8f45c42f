"""``evaluateTable`` metrics: each model scores the table with MLlib's own evaluators."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

CLASSIFICATION = ("f1", "weightedPrecision", "weightedRecall", "accuracy")
REGRESSION = ("rmse", "mse", "r2", "mae")


def classification(
    scored: DataFrame, label_col: str, prediction_col: str = "prediction"
) -> list[tuple[str, float]]:
    from pyspark.ml.evaluation import MulticlassClassificationEvaluator

    evaluator = MulticlassClassificationEvaluator(labelCol=label_col, predictionCol=prediction_col)
    scored = scored.select(label_col, prediction_col).cache()
    try:
        return [(m, float(evaluator.evaluate(scored, {evaluator.metricName: m}))) for m in CLASSIFICATION]
    finally:
        scored.unpersist()


def regression(
    scored: DataFrame, label_col: str, prediction_col: str = "prediction"
) -> list[tuple[str, float]]:
    from pyspark.ml.evaluation import RegressionEvaluator

    evaluator = RegressionEvaluator(labelCol=label_col, predictionCol=prediction_col)
    scored = scored.select(label_col, prediction_col).cache()
    try:
        return [(m, float(evaluator.evaluate(scored, {evaluator.metricName: m}))) for m in REGRESSION]
    finally:
        scored.unpersist()


def silhouette(
    scored: DataFrame, features_col: str, prediction_col: str = "prediction"
) -> list[tuple[str, float]]:
    from pyspark.ml.evaluation import ClusteringEvaluator

    evaluator = ClusteringEvaluator(featuresCol=features_col, predictionCol=prediction_col)
    return [("silhouette", float(evaluator.evaluate(scored)))]
