"""RateSampler: marks each row 0 or 1 (``__split__``) to split a table into two parts by rate."""

from __future__ import annotations

from typing import TYPE_CHECKING

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime.ets.base import ET, ETContext, ETParam
from byzer_engine.runtime.ets.data._common import empty_result, flag, is_predict, need_column, need_table

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

SPLIT_COLUMN = "__split__"


def sample_rates(text: str) -> tuple[float, float]:
    try:
        rates = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        rates = []
    if len(rates) != 2 or abs(sum(rates) - 1.0) > 0.001 or min(rates) < 0:
        raise ByzerError(
            f'RateSampler: sampleRate must be two rates that sum to 1 (e.g. "0.9,0.1"), not {text!r}'
        )
    return rates[0], rates[1]


class RateSampler(ET):
    name = "RateSampler"
    alg_type = "feature engineer"
    doc = (
        "Splits a table in two by rate, label by label: adds __split__ (0 = the first rate's part, 1 = "
        "the second's). isSplitWithSubLabel=\"true\" splits each label's rows exactly, else row by row at random."
    )
    params = (
        ETParam("labelCol", "the (numeric) label column", default="label"),
        ETParam("sampleRate", "two comma-separated rates that sum to 1", default="0.9,0.1"),
        ETParam("isSplitWithSubLabel", "true: exact split of each label's rows; false: random per row",
                default="true"),
    )  # fmt: skip
    example = (
        "select id, id % 2 as label from range(10) as t;\n"
        'run t as RateSampler.`` where labelCol="label" and sampleRate="0.7,0.3" as marked;\n'
        '!split t by label with "0.7,0.3" named marked2;'
    )

    def run(self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]) -> DataFrame:
        if is_predict(ctx):
            return empty_result(ctx.spark)
        from pyspark.sql import Window
        from pyspark.sql import functions as F
        from pyspark.sql.types import NumericType

        df = need_table(self, table)
        label = options.get("labelCol", "").strip() or "label"
        need_column(self, df, label, "labelCol")
        if not isinstance(df.schema[label].dataType, NumericType):
            raise ByzerError(
                f"RateSampler: the label column '{label}' must be numeric (int/long/float/double), "
                f"not {df.schema[label].dataType.simpleString()}"
            )
        first, _second = sample_rates(options.get("sampleRate", "").strip() or "0.9,0.1")
        if not flag(self, options, "isSplitWithSubLabel", True):
            split = F.when(F.rand() <= F.lit(first), 0).otherwise(1).cast("int")
            return df.withColumn(SPLIT_COLUMN, split)
        # Exact: the first int(rate * n) rows of each label (in row order) are part 0, the rest part 1.
        order = "__rate_sampler_order__"
        ordered = df.withColumn(order, F.monotonically_increasing_id())
        by_label = Window.partitionBy(F.col(f"`{label}`"))
        position = F.row_number().over(by_label.orderBy(order))
        size = F.count(F.lit(1)).over(by_label)
        split = F.when(position <= (F.lit(first) * size).cast("long"), 0).otherwise(1).cast("int")
        return ordered.withColumn(SPLIT_COLUMN, split).drop(order)
