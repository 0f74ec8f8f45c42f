"""StandardScaler (MLlib's), NormalizeInPlace and ScalerInPlace.

NormalizeInPlace and ScalerInPlace write the table, each input column replaced by its scaled
double, to ``PATH/data`` and return an empty table; ``register`` makes ``fn(array<double>)`` →
array<double> (values in inputCols order).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime.ets.base import ET, ETContext, ETParam
from byzer_engine.runtime.ets.feature import meta
from byzer_engine.runtime.ets.ml.files import join

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame


def _bool(options: dict[str, str], key: str, default: bool) -> bool:
    value = options.get(key)
    return default if value is None else value.strip().lower() == "true"


def _register_array_fn(ctx: ETContext, function: str, fn: Any) -> None:
    from pyspark.sql.types import ArrayType, DoubleType

    def call(values: Any) -> Any:
        return None if values is None else fn([float("nan") if v is None else float(v) for v in values])

    ctx.spark.udf.register(function, call, ArrayType(DoubleType()))


def _write_replaced(
    table: DataFrame, names: list[str], is_array: bool, scaled: list[Column], path: str
) -> None:
    """Writes the table with the input columns replaced by ``scaled`` (one column per value)."""
    from pyspark.sql import functions as F

    if is_array:
        out = table.withColumn(names[0], F.array(*scaled))
    else:
        out = table.withColumns({n: s for n, s in zip(names, scaled, strict=True)})
    out = out.drop(*(c for c in out.columns if c.startswith("__v")))
    out.write.mode("overwrite").parquet(join(path, "data"))


class StandardScaler(ET):
    name = "StandardScaler"
    alg_type = "feature engineer"
    doc = "MLlib StandardScaler on a vector column; the model is saved at PATH; fn(vector) -> vector"
    params = (
        ETParam("inputCol", "the vector column", default="features"),
        ETParam("outputCol", "the scaled column", default="scaled"),
        ETParam("withMean", "center to the mean", default="false"),
        ETParam("withStd", "scale to unit standard deviation", default="true"),
    )
    example = """\
train data as StandardScaler.`/tmp/scaler` where inputCol="features";
register StandardScaler.`/tmp/scaler` as scale;
select scale(features) as scaled from data as out;"""

    def run(self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]) -> DataFrame:
        from pyspark.ml.feature import StandardScaler as MLlibScaler

        if table is None:
            raise ByzerError("StandardScaler needs a table")
        scaler = MLlibScaler(
            inputCol=options.get("inputCol") or "features",
            outputCol=options.get("outputCol") or "scaled",
            withMean=_bool(options, "withMean", False),
            withStd=_bool(options, "withStd", True),
        )
        scaler.fit(table).write().overwrite().save(ctx.resolve_path(path))
        return meta.empty_table(ctx.spark)

    def register(self, ctx: ETContext, path: str, function: str, options: dict[str, str]) -> None:
        from pyspark.ml.feature import StandardScalerModel
        from pyspark.ml.linalg import Vectors, VectorUDT

        model = StandardScalerModel.load(ctx.resolve_path(path))
        mean = [float(x) for x in model.mean.toArray()]
        std = [float(x) for x in model.std.toArray()]
        with_mean, with_std = model.getWithMean(), model.getWithStd()

        def scale(v: Any) -> Any:
            if v is None:
                return None
            out = []
            for x, m, s in zip(v.toArray(), mean, std, strict=False):
                y = float(x) - m if with_mean else float(x)
                if with_std:
                    y = y / s if s != 0.0 else 0.0
                out.append(y)
            return Vectors.dense(out)

        ctx.spark.udf.register(function, scale, VectorUDT())


class NormalizeInPlace(ET):
    name = "NormalizeInPlace"
    alg_type = "feature engineer"
    doc = "z-score (standard) or L1 (p-norm) normalisation of columns, written to PATH/data"
    params = (
        ETParam("inputCols", "double columns, or one array<double> column", required=True),
        ETParam(
            "method",
            "standard (z-score per column) or p-norm (L1 per row)",
            default="standard",
            values=("standard", "p-norm"),
        ),
        ETParam("removeOutlierValue", "not supported (only false)", default="false"),
    )
    example = """\
train data as NormalizeInPlace.`/tmp/norm` where inputCols="a,b" and method="standard";
register NormalizeInPlace.`/tmp/norm` as norm;
select norm(array(a, b)) as scaled from data as out;"""

    def run(self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]) -> DataFrame:
        from pyspark.sql import functions as F

        if table is None:
            raise ByzerError("NormalizeInPlace needs a table")
        meta.reject_outliers(options, self.name)
        names, is_array = meta.input_columns(table, options, self.name)
        method = options.get("method") or "standard"
        values, cols = meta.value_columns(table, names, is_array)
        if method == "standard":
            stats = values.agg(*(F.avg(c) for c in cols), *(F.stddev(c) for c in cols)).first()
            assert stats is not None
            means = [float(stats[i] or 0.0) for i in range(len(cols))]
            stds = [float(stats[len(cols) + i] or 0.0) for i in range(len(cols))]
            scaled = [
                (F.col(c) - m) / F.lit(s) if s else F.lit(0.0)
                for c, m, s in zip(cols, means, stds, strict=True)
            ]
            document: dict[str, Any] = {"method": method, "means": means, "stds": stds}
        elif method == "p-norm":
            norm = sum((F.abs(F.col(c)) for c in cols), F.lit(0.0))
            scaled = [F.when(norm == 0, F.lit(0.0)).otherwise(F.col(c) / norm) for c in cols]
            document = {"method": method}
        else:
            raise ByzerError(f"NormalizeInPlace: method must be standard or p-norm, not {method!r}")
        base = ctx.resolve_path(path)
        _write_replaced(values, names, is_array, [s.cast("double") for s in scaled], base)
        meta.save(ctx.spark, base, document)
        return meta.empty_table(ctx.spark)

    def register(self, ctx: ETContext, path: str, function: str, options: dict[str, str]) -> None:
        document = meta.load(ctx.spark, ctx.resolve_path(path), self.name)
        if document["method"] == "standard":
            means, stds = document["means"], document["stds"]

            def fn(xs: list[float]) -> list[float]:
                return [(x - m) / s if s else 0.0 for x, m, s in zip(xs, means, stds, strict=False)]

        else:

            def fn(xs: list[float]) -> list[float]:
                total = sum(abs(x) for x in xs)
                return [x / total if total else 0.0 for x in xs]

        _register_array_fn(ctx, function, fn)


SCALE_METHODS = ("log2", "logn", "log10", "sqrt", "abs", "min-max")


def _scale_one(
    method: str, x: float, low: float = 0.0, high: float = 0.0, lo: float = 0.0, hi: float = 1.0
) -> float:
    if method == "log2":
        return math.log2(x) if x > 0 else float("nan")
    if method == "logn":
        return math.log1p(x) if x > -1 else float("nan")
    if method == "log10":
        return math.log10(x) if x > 0 else float("nan")
    if method == "sqrt":
        return math.sqrt(x) if x >= 0 else float("nan")
    if method == "abs":
        return abs(x)
    return (x - low) / (high - low) * (hi - lo) + lo if high != low else lo


class ScalerInPlace(ET):
    name = "ScalerInPlace"
    alg_type = "feature engineer"
    doc = "log2, logn (log1p), log10, sqrt, abs or min-max scaling of columns, written to PATH/data"
    params = (
        ETParam("inputCols", "double columns, or one array<double> column", required=True),
        ETParam("scaleMethod", "how to scale", default="log2", values=SCALE_METHODS),
        ETParam("min", "min-max: the lower end", default="0"),
        ETParam("max", "min-max: the upper end", default="1"),
        ETParam("removeOutlierValue", "not supported (only false)", default="false"),
    )
    example = """\
train data as ScalerInPlace.`/tmp/scaler` where inputCols="a,b" and scaleMethod="min-max";
register ScalerInPlace.`/tmp/scaler` as scale;
select scale(array(a, b)) as scaled from data as out;"""

    def run(self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]) -> DataFrame:
        from pyspark.sql import functions as F

        if table is None:
            raise ByzerError("ScalerInPlace needs a table")
        meta.reject_outliers(options, self.name)
        names, is_array = meta.input_columns(table, options, self.name)
        method = options.get("scaleMethod") or "log2"
        if method not in SCALE_METHODS:
            raise ByzerError(
                f"ScalerInPlace: scaleMethod must be one of {', '.join(SCALE_METHODS)}, not {method!r}"
            )
        values, cols = meta.value_columns(table, names, is_array)
        lo, hi = float(options.get("min") or "0"), float(options.get("max") or "1")
        lows: list[float] = []
        highs: list[float] = []
        if method == "min-max":
            stats = values.agg(*(F.min(c) for c in cols), *(F.max(c) for c in cols)).first()
            assert stats is not None
            lows = [float(stats[i] or 0.0) for i in range(len(cols))]
            highs = [float(stats[len(cols) + i] or 0.0) for i in range(len(cols))]
            scaled = [
                ((F.col(c) - a) / F.lit(b - a) * (hi - lo) + lo) if b != a else F.lit(lo)
                for c, a, b in zip(cols, lows, highs, strict=True)
            ]
        else:
            native = {"log2": F.log2, "logn": F.log1p, "log10": F.log10, "sqrt": F.sqrt, "abs": F.abs}[method]
            scaled = [native(F.col(c)) for c in cols]
        base = ctx.resolve_path(path)
        _write_replaced(values, names, is_array, [s.cast("double") for s in scaled], base)
        meta.save(ctx.spark, base, {"method": method, "lows": lows, "highs": highs, "min": lo, "max": hi})
        return meta.empty_table(ctx.spark)

    def register(self, ctx: ETContext, path: str, function: str, options: dict[str, str]) -> None:
        doc = meta.load(ctx.spark, ctx.resolve_path(path), self.name)
        method, lows, highs, lo, hi = doc["method"], doc["lows"], doc["highs"], doc["min"], doc["max"]

        def fn(xs: list[float]) -> list[float]:
            if method == "min-max":
                return [_scale_one(method, x, a, b, lo, hi) for x, a, b in zip(xs, lows, highs, strict=False)]
            return [_scale_one(method, x) for x in xs]

        _register_array_fn(ctx, function, fn)
