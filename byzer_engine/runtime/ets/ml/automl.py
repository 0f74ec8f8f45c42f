"""AutoML: trains several classifier ETs on the same table, each under ``PATH/__auto_ml__<Alg>``.

Returns their train tables, best first by ``sortedBy`` (default f1), with algIndex ``<Alg>.<g>``.
predict/register load ``algIndex="RandomForest.0"`` or the best by ``autoSelectByMetric``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime.ets.base import ETContext, ETParam
from byzer_engine.runtime.ets.ml import files
from byzer_engine.runtime.ets.ml.base import COMMON_PARAMS, AlgorithmET
from byzer_engine.runtime.ets.ml.classifiers import (
    GBTClassifier,
    LogisticRegression,
    NaiveBayes,
    RandomForest,
)
from byzer_engine.runtime.ets.ml.model_dir import DEFAULT_METRIC, ChosenModel, GroupResult, choose
from byzer_engine.runtime.ets.ml.train_table import name_value_table, rows_of

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

DIR_PREFIX = "__auto_ml__"
ALGOS: dict[str, type[AlgorithmET]] = {
    et.name: et for et in (GBTClassifier, LogisticRegression, NaiveBayes, RandomForest)
}
DEFAULT_ALGOS = "GBTClassifier,LogisticRegression,NaiveBayes,RandomForest"


def _algos(text: str) -> list[type[AlgorithmET]]:
    chosen = []
    for name in (part.strip() for part in text.split(",") if part.strip()):
        match = next((cls for key, cls in ALGOS.items() if key.lower() == name.lower()), None)
        if match is None:
            raise ByzerError(f"AutoML: unknown algorithm {name!r}; known: {', '.join(ALGOS)}")
        chosen.append(match)
    return chosen


def _score(result: GroupResult, metric: str) -> float:
    value = result.metric(metric)
    if value is None and result.metrics:
        value = result.metrics[0][1]
    return value if value is not None else float("-inf")


class AutoML(AlgorithmET):
    name = "AutoML"
    doc = "trains each of algos (classifiers) and ranks the models by sortedBy"
    params = (
        ETParam("algos", "comma list of classifier ETs", default=DEFAULT_ALGOS),
        ETParam("sortedBy", "metric the result is sorted by, best first", default=DEFAULT_METRIC),
        *COMMON_PARAMS,
    )
    example = """\
train data as AutoML.`/tmp/model/auto` where algos="LogisticRegression,NaiveBayes"
  and evaluateTable="data";
predict data as AutoML.`/tmp/model/auto` where algIndex="NaiveBayes.0" as scored;"""

    @classmethod
    def model_param_rows(cls) -> list[dict[str, object]]:
        return []

    def train(self, ctx: ETContext, table: DataFrame, path: str, options: dict[str, str]) -> DataFrame:
        base = ctx.resolve_path(path)
        metric = options.get("sortedBy") or DEFAULT_METRIC
        ranked: list[tuple[str, GroupResult]] = []
        for cls in _algos(options.get("algos") or DEFAULT_ALGOS):
            for result in cls().train_groups(
                ctx.spark, table, files.join(base, DIR_PREFIX + cls.name), options
            ):
                ranked.append((cls.name, result))
        ranked.sort(key=lambda item: _score(item[1], metric), reverse=True)
        rows: list[tuple[str, str]] = []
        for alg, result in ranked:
            rows.extend(rows_of(result, f"{alg}.{result.alg_index}"))
        return name_value_table(ctx.spark, rows)

    def chosen(
        self, spark: SparkSession, path: str, options: dict[str, str]
    ) -> tuple[AlgorithmET, ChosenModel]:
        index = options.get("algIndex") or ""
        if "." in index:
            alg, _, group = index.partition(".")
            cls = _algos(alg)[0]
            return cls(), choose(
                spark, files.join(path, DIR_PREFIX + cls.name), {**options, "algIndex": group}
            )
        metric = options.get("autoSelectByMetric") or DEFAULT_METRIC
        candidates: list[tuple[AlgorithmET, ChosenModel]] = []
        for name in sorted(files.child_dirs(spark, path)):
            if name.startswith(DIR_PREFIX) and name[len(DIR_PREFIX) :] in ALGOS:
                et = ALGOS[name[len(DIR_PREFIX) :]]()
                candidates.append((et, choose(spark, files.join(path, name), {**options, "algIndex": ""})))
        if not candidates:
            raise ByzerError(f"{path} is not a validate model path")
        return max(candidates, key=lambda c: _score(c[1].group, metric))
