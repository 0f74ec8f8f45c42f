"""Regressors: LinearRegression and GBTRegressor. predict adds ``prediction``; ``fn(vector)`` → double.

Byzer scores LinearRegression with the classifier metrics (f1 ...), which says nothing about a
regression; here both regressors get rmse, mse, r2 and mae.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from byzer_engine.runtime.ets.ml import scoring
from byzer_engine.runtime.ets.ml.base import AlgorithmET
from byzer_engine.runtime.ets.ml.classifiers import _vec, tree_ensemble_rows

if TYPE_CHECKING:
    from pyspark.ml import Model
    from pyspark.sql import SparkSession

    from byzer_engine.runtime.ets.ml.scoring import ScoringFunction

_EXAMPLE = """\
select vec_dense(array(cast(x as double))) as features, cast(y as double) as label from data as train_data;
train train_data as {name}.`/tmp/model/{lower}` where evaluateTable="train_data" and fitParam.0.maxIter="{iters}";
register {name}.`/tmp/model/{lower}` as estimate;
select estimate(features) as y_hat from train_data as out;"""


class LinearRegression(AlgorithmET):
    name = "LinearRegression"
    doc = "MLlib LinearRegression (maxIter 100, regParam 0); metrics rmse, mse, r2, mae"
    estimator_class = "pyspark.ml.regression.LinearRegression"
    model_class = "pyspark.ml.regression.LinearRegressionModel"
    evaluation = "regression"
    example = _EXAMPLE.format(name="LinearRegression", lower="linear", iters="100")

    def scoring_functions(self, spark: SparkSession, model: Model, model_path: str) -> list[ScoringFunction]:
        return scoring.value_function(scoring.linear(model))

    def explain_rows(self, model: Model) -> list[tuple[str, str]]:
        m: Any = model
        return [
            *super().explain_rows(model),
            ("coefficients", _vec(m.coefficients)),
            ("intercept", str(m.intercept)),
        ]


class GBTRegressor(AlgorithmET):
    name = "GBTRegressor"
    doc = "MLlib GBTRegressor (lossType squared, maxIter 20); metrics rmse, mse, r2, mae"
    estimator_class = "pyspark.ml.regression.GBTRegressor"
    model_class = "pyspark.ml.regression.GBTRegressionModel"
    evaluation = "regression"
    example = _EXAMPLE.format(name="GBTRegressor", lower="gbtr", iters="20")

    def scoring_functions(self, spark: SparkSession, model: Model, model_path: str) -> list[ScoringFunction]:
        trees, weights = scoring.load_trees(spark, model_path)
        return scoring.value_function(scoring.boosted_margin(trees, weights))

    def explain_rows(self, model: Model) -> list[tuple[str, str]]:
        return [*super().explain_rows(model), *tree_ensemble_rows(model)]
