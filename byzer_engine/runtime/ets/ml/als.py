"""ALSInPlace: MLlib ALS collaborative filtering (rank 10, maxIter 10, regParam 0.1, columns user,
item, rating). Metric ``rmse``, stored negated so that the highest value is the best model;
``coldStartStrategy`` ("nan") applies when scoring evaluateTable. ``userRec="N"`` / ``itemRec="N"``
save MLlib's top-N lists of the best group to ``PATH/data/userRec`` / ``PATH/data/itemRec``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from byzer_engine.runtime.ets.base import ETContext, ETParam
from byzer_engine.runtime.ets.ml import files
from byzer_engine.runtime.ets.ml.base import COMMON_PARAMS, AlgorithmET
from byzer_engine.runtime.ets.ml.model_dir import select_group
from byzer_engine.runtime.ets.ml.train_table import train_table

if TYPE_CHECKING:
    from pyspark.ml import Estimator, Model
    from pyspark.sql import DataFrame


class ALSInPlace(AlgorithmET):
    name = "ALSInPlace"
    doc = "MLlib ALS recommendations; metric rmse (negated); userRec/itemRec save top-N lists"
    estimator_class = "pyspark.ml.recommendation.ALS"
    model_class = "pyspark.ml.recommendation.ALSModel"
    evaluation = "rmse"
    params = (
        *COMMON_PARAMS,
        ETParam("coldStartStrategy", "nan or drop, when scoring evaluateTable", default="nan"),
        ETParam("userRec", "save the top N items of every user to PATH/data/userRec"),
        ETParam("itemRec", "save the top N users of every item to PATH/data/itemRec"),
    )
    example = """\
train ratings as ALSInPlace.`/tmp/model/als` where evaluateTable="ratings"
  and fitParam.0.maxIter="5" and userRec="3";
load parquet.`/tmp/model/als/data/userRec` as recs;"""

    def evaluate(
        self, model: Model, estimator: Estimator[Any], table: DataFrame, options: dict[str, str]
    ) -> list[tuple[str, float]]:
        from pyspark.ml.evaluation import RegressionEvaluator

        m: Any = model
        m.setColdStartStrategy(options.get("coldStartStrategy") or "nan")
        evaluator = RegressionEvaluator(
            metricName="rmse",
            labelCol=estimator.getOrDefault("ratingCol"),
            predictionCol=m.getPredictionCol(),
        )
        return [("rmse", -float(evaluator.evaluate(m.transform(table))))]

    def run(
        self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]
    ) -> DataFrame | None:
        if ctx.verb == "predict":
            # ALSInPlace has no predict: like Byzer, an empty (param, description) table.
            return ctx.spark.createDataFrame([], "param string, description string")
        return super().run(ctx, table, path, options)

    def train(self, ctx: ETContext, table: DataFrame, path: str, options: dict[str, str]) -> DataFrame:
        base = ctx.resolve_path(path)
        results = self.train_groups(ctx.spark, table, base, options)
        ok = [r for r in results if r.status == "success"]
        wanted = {key: options.get(key) for key in ("userRec", "itemRec") if options.get(key)}
        if ok and wanted:
            best = select_group(ok, None, "rmse")
            model: Any = self.load_model(files.join(base, best.model_path))
            if "userRec" in wanted:
                recs = model.recommendForAllUsers(int(str(wanted["userRec"])))
                recs.write.mode("overwrite").parquet(files.join(base, "data", "userRec"))
            if "itemRec" in wanted:
                recs = model.recommendForAllItems(int(str(wanted["itemRec"])))
                recs.write.mode("overwrite").parquet(files.join(base, "data", "itemRec"))
        return train_table(ctx.spark, results)
