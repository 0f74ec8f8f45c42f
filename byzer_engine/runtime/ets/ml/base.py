"""The mechanics every MLlib algorithm ET shares: ``train`` (parameter groups into a model folder),
``predict`` (the chosen model's ``transform``), ``register`` (SQL functions) and the explanation.

A concrete ET names its MLlib estimator and model classes, how it is scored (``evaluation``) and,
for ``register``, which Python scorers it offers. Shared bases stay nameless (``name = ""``).
"""

from __future__ import annotations

import importlib
import time
from typing import TYPE_CHECKING, Any, ClassVar

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime.ets.base import ET, ETContext, ETParam
from byzer_engine.runtime.ets.ml import fit_params, metrics
from byzer_engine.runtime.ets.ml.files import join
from byzer_engine.runtime.ets.ml.model_dir import ChosenModel, GroupResult, choose, train_dir, write_meta
from byzer_engine.runtime.ets.ml.train_table import train_table

if TYPE_CHECKING:
    from pyspark.ml import Estimator, Model
    from pyspark.sql import DataFrame, SparkSession

    from byzer_engine.runtime.ets.ml.scoring import ScoringFunction

COMMON_PARAMS = (
    ETParam("keepVersion", "each train writes a new PATH/_model_N version", default="true"),
    ETParam("evaluateTable", "a table every trained model is scored on (metrics)"),
    ETParam("modelVersion", "predict/register: the _model_N version to load (default the highest)"),
    ETParam("algIndex", "predict/register: the parameter group to load"),
    ETParam("autoSelectByMetric", "predict/register: pick the group with the best metric", default="f1"),
)


def _load_class(dotted: str) -> Any:
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


def now_ms() -> int:
    return int(time.time() * 1000)


def first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


class AlgorithmET(ET):
    """An MLlib estimator behind ``train|run|predict|register`` (nameless: not an ET itself)."""

    name: ClassVar[str] = ""
    alg_type: ClassVar[str] = "algorithm"
    params: ClassVar[tuple[ETParam, ...]] = COMMON_PARAMS
    # Dotted names of the pyspark.ml classes.
    estimator_class: ClassVar[str] = ""
    model_class: ClassVar[str] = ""
    # How evaluateTable is scored: "classification", "regression", "clustering" or "" (no metrics).
    evaluation: ClassVar[str] = "classification"

    # -- hooks ---------------------------------------------------------------------------------------
    def new_estimator(self, options: dict[str, str]) -> Estimator[Any]:
        return _load_class(self.estimator_class)()  # type: ignore[no-any-return]

    def load_model(self, path: str) -> Model:
        return _load_class(self.model_class).load(path)  # type: ignore[no-any-return]

    def evaluate(
        self, model: Model, estimator: Estimator[Any], table: DataFrame, options: dict[str, str]
    ) -> list[tuple[str, float]]:
        scored = model.transform(table)
        if self.evaluation == "classification":
            return metrics.classification(scored, _param(estimator, "labelCol", "label"))
        if self.evaluation == "regression":
            return metrics.regression(scored, _param(estimator, "labelCol", "label"))
        if self.evaluation == "clustering":
            return metrics.silhouette(scored, options.get("featuresCol") or "features")
        return []

    def scoring_functions(self, spark: SparkSession, model: Model, model_path: str) -> list[ScoringFunction]:
        """The SQL functions ``register`` makes from a loaded model: (suffix, Python function, type)."""
        raise ByzerError(f"ET '{self.name}' cannot be registered as a function")

    def explain_rows(self, model: Model) -> list[tuple[str, str]]:
        """``load modelExplain``: the rows about the model itself (uid, numFeatures and the like)."""
        rows = [("uid", str(model.uid))]
        if hasattr(model, "numFeatures"):
            rows.append(("numFeatures", str(model.numFeatures)))
        return rows

    @classmethod
    def model_param_rows(cls) -> list[dict[str, Any]]:
        """``load modelParams``: a ``fitParam.[group].<name>`` row per MLlib parameter."""
        from byzer_engine.runtime.ets.ml.explain import mllib_param_rows

        return mllib_param_rows(cls())

    # -- the verbs -----------------------------------------------------------------------------------
    def run(
        self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]
    ) -> DataFrame | None:
        if table is None:
            raise ByzerError(f"{self.name} needs a table to {ctx.verb}")
        if ctx.verb == "predict":
            return self.predict(ctx, table, path, options)
        return self.train(ctx, table, path, options)

    def train(self, ctx: ETContext, table: DataFrame, path: str, options: dict[str, str]) -> DataFrame:
        spark = ctx.spark
        results = self.train_groups(spark, table, ctx.resolve_path(path), options)
        return train_table(spark, results)

    def train_groups(
        self, spark: SparkSession, table: DataFrame, base_path: str, options: dict[str, str]
    ) -> list[GroupResult]:
        keep = options.get("keepVersion", "true").strip().lower() != "false"
        evaluate_name = options.get("evaluateTable")
        evaluate_on = spark.table(evaluate_name) if evaluate_name else None
        out_dir, relative = train_dir(spark, base_path, keep)
        results = [
            self.fit_group(table, out_dir, relative, group, params, evaluate_on, options)
            for group, params in fit_params.groups(options).items()
        ]
        write_meta(spark, out_dir, results)
        return results

    def fit_group(
        self,
        table: DataFrame,
        out_dir: str,
        relative: str,
        group: int,
        params: dict[str, str],
        evaluate_on: DataFrame | None,
        options: dict[str, str],
    ) -> GroupResult:
        result = GroupResult(
            model_path=f"{relative}/model/{group}",
            alg_index=group,
            alg=self.estimator_class,
            start_time=now_ms(),
            train_params=dict(params),
        )
        try:
            estimator = self.new_estimator(options)
            result.alg = estimator._java_obj.getClass().getName()  # type: ignore[attr-defined]
            fit_params.apply(estimator, params)
            model = estimator.fit(table)
            model.write().overwrite().save(join(out_dir, "model", str(group)))  # type: ignore[attr-defined]
            if evaluate_on is not None:
                result.metrics = self.evaluate(model, estimator, evaluate_on, options)
        except Exception as exc:  # a failed group is recorded and does not stop the others
            result.status = "fail"
            result.message = first_line(exc)
        result.end_time = now_ms()
        return result

    def chosen(
        self, spark: SparkSession, path: str, options: dict[str, str]
    ) -> tuple[AlgorithmET, ChosenModel]:
        """The model that predict/register/modelExplain use, and the ET that trained it."""
        return self, choose(spark, path, options)

    def predict(self, ctx: ETContext, table: DataFrame, path: str, options: dict[str, str]) -> DataFrame:
        et, chosen = self.chosen(ctx.spark, ctx.resolve_path(path), options)
        return et.load_model(chosen.model_path).transform(table)

    def register(self, ctx: ETContext, path: str, function: str, options: dict[str, str]) -> None:
        et, chosen = self.chosen(ctx.spark, ctx.resolve_path(path), options)
        model = et.load_model(chosen.model_path)
        for suffix, fn, return_type in et.scoring_functions(ctx.spark, model, chosen.model_path):
            ctx.spark.udf.register(function + suffix, fn, return_type)
        et.register_jvm_functions(ctx, model, function)

    def register_table(self, ctx: ETContext, path: str, options: dict[str, str]) -> list[tuple[str, str]]:
        """``register``'s result: the model explanation (``load modelExplain``'s rows)."""
        from byzer_engine.runtime.ets.ml.explain import explain

        return explain(ctx.spark, self, ctx.resolve_path(path), options)

    def register_jvm_functions(self, ctx: ETContext, model: Model, function: str) -> None:
        """Functions that must run MLlib's own JVM code (``ml/jvm_scoring.py``); most ETs have none."""


def _param(estimator: Any, name: str, default: str) -> str:
    if estimator.hasParam(name):
        value = estimator.getOrDefault(estimator.getParam(name))
        return str(value) if value is not None else default
    return default
