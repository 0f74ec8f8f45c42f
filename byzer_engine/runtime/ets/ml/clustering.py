"""KMeans, which in Byzer is MLlib's BisectingKMeans (k 4, maxIter 20); metric silhouette.

predict adds ``prediction`` (int); ``fn(vector)`` → the same cluster index, by MLlib's walk down the
bisecting tree (read from the saved model).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from byzer_engine.runtime.ets.ml import scoring
from byzer_engine.runtime.ets.ml.base import AlgorithmET

if TYPE_CHECKING:
    from pyspark.ml import Model
    from pyspark.sql import SparkSession

    from byzer_engine.runtime.ets.ml.scoring import ScoringFunction


class KMeans(AlgorithmET):
    name = "KMeans"
    doc = "MLlib BisectingKMeans (k 4, maxIter 20); evaluateTable metric silhouette"
    estimator_class = "pyspark.ml.clustering.BisectingKMeans"
    model_class = "pyspark.ml.clustering.BisectingKMeansModel"
    evaluation = "clustering"
    example = """\
select vec_dense(array(x, y)) as features from points as data;
train data as KMeans.`/tmp/model/km` where fitParam.0.k="3" and evaluateTable="data";
register KMeans.`/tmp/model/km` as cluster;
select cluster(features) as c from data as out;"""

    def scoring_functions(self, spark: SparkSession, model: Model, model_path: str) -> list[ScoringFunction]:
        from pyspark.sql.types import IntegerType

        walk = scoring.bisecting_tree(spark, model_path)

        def fn(v: Any) -> Any:
            return None if v is None else walk(v)

        return [("", fn, IntegerType())]

    def explain_rows(self, model: Model) -> list[tuple[str, str]]:
        m: Any = model
        centers = ";".join("[" + ",".join(str(float(x)) for x in c) + "]" for c in m.clusterCenters())
        return [("uid", str(m.uid)), ("k", str(len(m.clusterCenters()))), ("clusterCenters", centers)]
