"""Classifiers: NaiveBayes, RandomForest, LogisticRegression, GBTClassifier.

predict adds rawPrediction, probability and prediction; ``register`` makes ``fn(vector)`` (the
probability vector) and ``fn_raw(vector)`` ([rawPrediction, probability]).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from byzer_engine.runtime.ets.ml import scoring
from byzer_engine.runtime.ets.ml.base import AlgorithmET

if TYPE_CHECKING:
    from pyspark.ml import Model
    from pyspark.sql import SparkSession

    from byzer_engine.runtime.ets.ml.scoring import ScoringFunction

_EXAMPLE = """\
select vec_dense(array(cast(a as double), cast(b as double))) as features, cast(label as double) as label
from data as train_data;
train train_data as {name}.`/tmp/model/{lower}` where keepVersion="true"
  and evaluateTable="train_data" and fitParam.0.{param}="{value}";
predict train_data as {name}.`/tmp/model/{lower}` as scored;
register {name}.`/tmp/model/{lower}` as classify;
select vec_argmax(classify(features)) as predicted from train_data as out;"""


def _vec(v: Any) -> str:
    return "[" + ",".join(str(float(x)) for x in v.toArray()) + "]"


class NaiveBayes(AlgorithmET):
    name = "NaiveBayes"
    doc = "MLlib NaiveBayes (smoothing 1.0, modelType multinomial) on featuresCol/labelCol"
    estimator_class = "pyspark.ml.classification.NaiveBayes"
    model_class = "pyspark.ml.classification.NaiveBayesModel"
    example = _EXAMPLE.format(name="NaiveBayes", lower="nb", param="smoothing", value="1.0")

    def scoring_functions(self, spark: SparkSession, model: Model, model_path: str) -> list[ScoringFunction]:
        return scoring.classifier_functions(scoring.naive_bayes(model))

    def explain_rows(self, model: Model) -> list[tuple[str, str]]:
        return [*super().explain_rows(model), ("numClasses", str(model.numClasses))]  # type: ignore[attr-defined]


class RandomForest(AlgorithmET):
    name = "RandomForest"
    doc = "MLlib RandomForestClassifier (numTrees 20, maxDepth 5, maxBins 32, impurity gini)"
    estimator_class = "pyspark.ml.classification.RandomForestClassifier"
    model_class = "pyspark.ml.classification.RandomForestClassificationModel"
    example = _EXAMPLE.format(name="RandomForest", lower="rf", param="numTrees", value="20")

    def scoring_functions(self, spark: SparkSession, model: Model, model_path: str) -> list[ScoringFunction]:
        trees, _ = scoring.load_trees(spark, model_path)
        return scoring.classifier_functions(scoring.forest_classifier(trees))

    def explain_rows(self, model: Model) -> list[tuple[str, str]]:
        m: Any = model
        return [
            *super().explain_rows(model),
            ("numClasses", str(m.numClasses)),
            ("numTrees", str(m.getNumTrees)),
            ("treeWeights", ",".join(str(w) for w in m.treeWeights)),
        ]


class LogisticRegression(AlgorithmET):
    name = "LogisticRegression"
    doc = "MLlib LogisticRegression (maxIter 100, regParam 0, elasticNetParam 0, fitIntercept true)"
    estimator_class = "pyspark.ml.classification.LogisticRegression"
    model_class = "pyspark.ml.classification.LogisticRegressionModel"
    example = _EXAMPLE.format(name="LogisticRegression", lower="lr", param="maxIter", value="10")

    def scoring_functions(self, spark: SparkSession, model: Model, model_path: str) -> list[ScoringFunction]:
        return scoring.classifier_functions(scoring.logistic(model))

    def explain_rows(self, model: Model) -> list[tuple[str, str]]:
        m: Any = model
        binary = m.numClasses == 2 and m.coefficientMatrix.numRows == 1
        intercept = str(m.intercept) if binary else _vec(m.interceptVector)
        coefficients = _vec(m.coefficients) if binary else str(m.coefficientMatrix.toArray().tolist())
        return [
            *super().explain_rows(model),
            ("numClasses", str(m.numClasses)),
            ("intercept", intercept),
            ("coefficients", coefficients),
        ]


class GBTClassifier(AlgorithmET):
    name = "GBTClassifier"
    doc = "MLlib GBTClassifier, binary labels (maxIter 20, stepSize 0.1, maxDepth 5)"
    estimator_class = "pyspark.ml.classification.GBTClassifier"
    model_class = "pyspark.ml.classification.GBTClassificationModel"
    example = _EXAMPLE.format(name="GBTClassifier", lower="gbt", param="maxIter", value="10")

    def scoring_functions(self, spark: SparkSession, model: Model, model_path: str) -> list[ScoringFunction]:
        trees, weights = scoring.load_trees(spark, model_path)
        return scoring.classifier_functions(
            scoring.boosted_classifier(scoring.boosted_margin(trees, weights))
        )

    def explain_rows(self, model: Model) -> list[tuple[str, str]]:
        return [*super().explain_rows(model), *tree_ensemble_rows(model)]


def tree_ensemble_rows(model: Any) -> list[tuple[str, str]]:
    return [
        ("getNumTrees", str(model.getNumTrees)),
        ("featureImportance", _vec(model.featureImportances)),
        ("totalNumNodes", str(model.totalNumNodes)),
    ]
