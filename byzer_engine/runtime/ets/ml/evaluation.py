"""Scoring a prediction table: PredictionEva (binary metrics) and ConfusionMatrix (per label)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime.ets.base import ET, ETContext, ETParam
from byzer_engine.runtime.ets.ml import files

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def _require(table: DataFrame | None, et: str, columns: list[str]) -> DataFrame:
    if table is None:
        raise ByzerError(f"{et} needs a table")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ByzerError(
            f"{et}: no column {', '.join(missing)} in the table (columns: {', '.join(table.columns)})"
        )
    return table


def _ratio(a: float, b: float) -> float:
    return a / b if b else 0.0


def empty_table(spark: SparkSession) -> DataFrame:
    from pyspark.sql.types import StructType

    return spark.createDataFrame([], StructType([]))


class PredictionEva(ET):
    name = "PredictionEva"
    alg_type = "algorithm"
    doc = "binary metrics of a probability column: threshold, precision, recall, f1, auc, prc"
    params = (
        ETParam("labelCol", "the label column", default="label"),
        ETParam("probCol", "the probability of labelValue (double)", default="prob"),
        ETParam("labelValue", "the positive label", default="1.0"),
        ETParam("threshold", "probabilities at or above it count as positive", default="0.5"),
    )
    example = 'run scored as PredictionEva.`` where labelCol="label" and probCol="prob" as metrics;'

    def run(self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]) -> DataFrame:
        from pyspark.ml.evaluation import BinaryClassificationEvaluator
        from pyspark.sql import functions as F

        label_col = options.get("labelCol") or "label"
        prob_col = options.get("probCol") or "prob"
        df = _require(table, self.name, [label_col, prob_col])
        positive = float(options.get("labelValue") or "1.0")
        threshold = float(options.get("threshold") or "0.5")
        data = df.select(
            F.when(F.col(label_col).cast("double") == positive, 1.0).otherwise(0.0).alias("label"),
            F.col(prob_col).cast("double").alias("prob"),
        ).cache()
        try:
            counts = data.agg(
                F.sum(F.when((F.col("prob") >= threshold) & (F.col("label") == 1.0), 1).otherwise(0)).alias(
                    "tp"
                ),
                F.sum(F.when((F.col("prob") >= threshold) & (F.col("label") == 0.0), 1).otherwise(0)).alias(
                    "fp"
                ),
                F.sum(F.when((F.col("prob") < threshold) & (F.col("label") == 1.0), 1).otherwise(0)).alias(
                    "fn"
                ),
            ).first()
            assert counts is not None
            tp, fp, fn = (float(counts[k] or 0) for k in ("tp", "fp", "fn"))
            evaluator = BinaryClassificationEvaluator(rawPredictionCol="prob", labelCol="label")
            auc = float(evaluator.evaluate(data, {evaluator.metricName: "areaUnderROC"}))
            prc = float(evaluator.evaluate(data, {evaluator.metricName: "areaUnderPR"}))
        finally:
            data.unpersist()
        precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
        rows = [
            ("threshold", threshold),
            ("precision", precision),
            ("recall", recall),
            ("f1", _ratio(2 * precision * recall, precision + recall)),
            ("auc", auc),
            ("prc", prc),
        ]
        return ctx.spark.createDataFrame(rows, "metrics string, value double")


class ConfusionMatrix(ET):
    name = "ConfusionMatrix"
    alg_type = "algorithm"
    doc = "writes the confusion matrix (PATH/data) and per-label rates (PATH/detail) of two label columns"
    params = (
        ETParam("actualCol", "the actual label column", required=True),
        ETParam("predictCol", "the predicted label column", required=True),
    )
    example = """\
train scored as ConfusionMatrix.`/tmp/confusion` where actualCol="label" and predictCol="prediction";
load parquet.`/tmp/confusion/data` as matrix;
load parquet.`/tmp/confusion/detail` as detail;"""

    def run(self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]) -> DataFrame:
        from pyspark.sql.types import StringType, StructField, StructType

        actual, predicted = options.get("actualCol"), options.get("predictCol")
        if not actual or not predicted:
            raise ByzerError("ConfusionMatrix needs actualCol and predictCol")
        df = _require(table, self.name, [actual, predicted])
        pairs = df.groupBy(
            df[actual].cast("string").alias("a"), df[predicted].cast("string").alias("p")
        ).count()
        counts: dict[tuple[str, str], int] = {(r["a"], r["p"]): int(r["count"]) for r in pairs.collect()}
        labels = sorted({k for pair in counts for k in pair if k is not None})
        base = ctx.resolve_path(path)
        spark = ctx.spark
        matrix_rows = [[a, *(str(counts.get((a, p), 0)) for p in labels)] for a in labels]
        matrix_schema = StructType([StructField(c, StringType()) for c in ["act\\prt", *labels]])
        spark.createDataFrame(matrix_rows, matrix_schema).write.mode("overwrite").parquet(
            files.join(base, "data")
        )
        detail = [row for label in labels for row in _label_rates(label, labels, counts)]
        spark.createDataFrame(detail, "lable string, name string, value double, desc string").write.mode(
            "overwrite"
        ).parquet(files.join(base, "detail"))
        return empty_table(spark)


_RATES = (
    ("TP", "true positives"),
    ("TN", "true negatives"),
    ("FP", "false positives"),
    ("FN", "false negatives"),
    ("TPR", "sensitivity, recall: TP / (TP + FN)"),
    ("SPC", "specificity: TN / (FP + TN)"),
    ("PPV", "precision: TP / (TP + FP)"),
    ("NPV", "negative predictive value: TN / (TN + FN)"),
    ("FPR", "fall-out: FP / (FP + TN)"),
    ("FDR", "false discovery rate: FP / (FP + TP)"),
    ("FNR", "miss rate: FN / (FN + TP)"),
    ("ACC", "accuracy: (TP + TN) / all"),
)


def _label_rates(label: str, labels: list[str], counts: dict[tuple[str, str], int]) -> list[tuple[Any, ...]]:
    total = float(sum(counts.values()))
    tp = float(counts.get((label, label), 0))
    fn = float(sum(counts.get((label, p), 0) for p in labels if p != label))
    fp = float(sum(counts.get((a, label), 0) for a in labels if a != label))
    tn = total - tp - fn - fp
    values = {
        "TP": tp,
        "TN": tn,
        "FP": fp,
        "FN": fn,
        "TPR": _ratio(tp, tp + fn),
        "SPC": _ratio(tn, fp + tn),
        "PPV": _ratio(tp, tp + fp),
        "NPV": _ratio(tn, tn + fn),
        "FPR": _ratio(fp, fp + tn),
        "FDR": _ratio(fp, fp + tp),
        "FNR": _ratio(fn, fn + tp),
        "ACC": _ratio(tp + tn, total),
    }
    return [(label, name, values[name], desc) for name, desc in _RATES]
