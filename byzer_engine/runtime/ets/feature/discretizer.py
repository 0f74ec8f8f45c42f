"""Discretizer: MLlib Bucketizer (``method="bucketizer"``, given splits) or QuantileDiscretizer
(``method="quantile"``, numBuckets). Returns the input plus the bucket column (double) and saves the
splits at ``PATH/meta``; ``fn(array<double>)`` → the bucket of each value. ``fitParam.*`` is refused:
the MLlib parameters are top-level options.
"""

from __future__ import annotations

import bisect
import math
from typing import TYPE_CHECKING, Any

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime.ets.base import ET, ETContext, ETParam
from byzer_engine.runtime.ets.feature import meta
from byzer_engine.runtime.ets.ml.fit_params import _number

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def bucket_of(x: float, splits: list[float], handle_invalid: str) -> float | None:
    """Bucketizer's bucket: splits[i] <= x < splits[i+1], the last bucket closed on the right."""
    if math.isnan(x) or x < splits[0] or x > splits[-1]:
        if handle_invalid == "keep":
            return float(len(splits) - 1)
        return None
    if x == splits[-1]:
        return float(len(splits) - 2)
    return float(bisect.bisect_right(splits, x) - 1)


class Discretizer(ET):
    name = "Discretizer"
    alg_type = "feature engineer"
    doc = "buckets a double column by given splits (bucketizer) or by quantiles (quantile)"
    params = (
        ETParam("method", "bucketizer or quantile", default="bucketizer", values=("bucketizer", "quantile")),
        ETParam("inputCol", "the double column", required=True),
        ETParam("outputCol", "the bucket column", default="bucket"),
        ETParam("splits", "bucketizer: comma list of boundaries", default="-inf,0.0,1.0,inf"),
        ETParam("handleInvalid", "error, skip or keep (NaN and out-of-range values)", default="error"),
        ETParam("numBuckets", "quantile: number of buckets", default="2"),
        ETParam("relativeError", "quantile: precision of the quantiles", default="0.001"),
    )
    example = """\
train data as Discretizer.`/tmp/disc` where method="bucketizer" and inputCol="x"
  and outputCol="b" and splits="-inf,0.0,10.0,inf" as bucketed;
register Discretizer.`/tmp/disc` as bucket;
select bucket(array(x)) as b from data as out;"""

    def run(self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]) -> DataFrame:
        from pyspark.ml.feature import Bucketizer, QuantileDiscretizer

        if table is None:
            raise ByzerError("Discretizer needs a table")
        if any(key.startswith("fitParam.") for key in options):
            raise ByzerError(
                "Discretizer takes its parameters top-level (inputCol, splits ...), not fitParam.*"
            )
        input_col = options.get("inputCol")
        if not input_col:
            raise ByzerError("Discretizer needs inputCol")
        output_col = options.get("outputCol") or "bucket"
        handle_invalid = options.get("handleInvalid") or "error"
        method = options.get("method") or "bucketizer"
        source = table.withColumn(input_col, table[input_col].cast("double"))
        if method == "bucketizer":
            splits = [_number(s) for s in (options.get("splits") or "-inf,0.0,1.0,inf").split(",")]
            model = Bucketizer(
                splits=splits, inputCol=input_col, outputCol=output_col, handleInvalid=handle_invalid
            )
        elif method == "quantile":
            model = QuantileDiscretizer(
                numBuckets=int(options.get("numBuckets") or "2"),
                relativeError=float(options.get("relativeError") or "0.001"),
                inputCol=input_col,
                outputCol=output_col,
                handleInvalid=handle_invalid,
            ).fit(source)
            splits = [float(s) for s in model.getSplits()]
        else:
            raise ByzerError(f"Discretizer: method must be bucketizer or quantile, not {method!r}")
        meta.save(
            ctx.spark,
            ctx.resolve_path(path),
            {"splits": [_json_number(s) for s in splits], "handleInvalid": handle_invalid},
        )
        return model.transform(source)

    def register(self, ctx: ETContext, path: str, function: str, options: dict[str, str]) -> None:
        from pyspark.sql.types import ArrayType, DoubleType

        doc = meta.load(ctx.spark, ctx.resolve_path(path), self.name)
        splits = [float(s) for s in doc["splits"]]
        handle_invalid = doc["handleInvalid"]

        def fn(values: Any) -> Any:
            if values is None:
                return None
            return [
                bucket_of(float("nan") if v is None else float(v), splits, handle_invalid) for v in values
            ]

        ctx.spark.udf.register(function, fn, ArrayType(DoubleType()))


def _json_number(x: float) -> float | str:
    return str(x) if math.isinf(x) else x
