"""DataSummary: one row of statistics per column of a table, every value a string as Byzer writes it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime.ets.base import ET, ETContext, ETParam
from byzer_engine.runtime.ets.data._common import flag, integer, need_table, number
from byzer_engine.runtime.ets.data._numbers import rounded_double_text, rounded_long_text, scala_text

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame
    from pyspark.sql.types import StructField

METRICS = (
    "%25", "median", "%75", "blankValueRatio", "dataLength", "dataType", "max", "maximumLength", "mean",
    "min", "minimumLength", "nonNullCount", "nullValueRatio", "skewness", "totalCount",
    "standardDeviation", "standardError", "uniqueValueRatio", "categoryCount", "primaryKeyCandidate", "mode",
)  # fmt: skip
DEFAULT_METRICS = tuple(m for m in METRICS if m not in ("%25", "%75", "skewness", "categoryCount"))
ALWAYS = ("columnName", "ordinalPosition")
PERCENTILES = {"%25": 0.25, "median": 0.5, "%75": 0.75}
INTEGER_METRICS = frozenset(
    ("ordinalPosition", "dataLength", "maximumLength", "minimumLength", "nonNullCount", "categoryCount",
     "totalCount", "primaryKeyCandidate")
)  # fmt: skip
NUMERIC_TYPES = ("integer", "short", "double", "float", "long")
TYPE_BYTES = {"byte": 1, "short": 2, "integer": 4, "long": 8, "float": 4, "double": 8, "date": 8,
              "timestamp": 8, "boolean": 1}  # fmt: skip


def type_name(field: StructField) -> str:
    from pyspark.sql.types import DecimalType

    data_type = field.dataType
    return data_type.simpleString() if isinstance(data_type, DecimalType) else data_type.typeName()


def is_numeric(field: StructField) -> bool:
    name = type_name(field)
    return name in NUMERIC_TYPES or name.startswith("decimal")


def selected_metrics(et: ET, text: str) -> list[str]:
    if not text.strip():
        return list(DEFAULT_METRICS)
    asked = {m.strip() for m in text.split(",") if m.strip()}
    unknown = sorted(asked - set(METRICS) - set(ALWAYS))
    if unknown:
        raise ByzerError(f"{et.name}: unknown metrics {', '.join(unknown)}; known: {', '.join(METRICS)}")
    return [m for m in METRICS if m in asked]


class _Column:
    """The aggregate expressions of one input column."""

    def __init__(self, field: StructField) -> None:
        from pyspark.sql import functions as F
        from pyspark.sql.types import DoubleType, FloatType, StringType

        self.field = field
        self.col = F.col(f"`{field.name}`")
        self.numeric = is_numeric(field)
        self.is_string = isinstance(field.dataType, StringType)
        self.floating = isinstance(field.dataType, DoubleType | FloatType)
        valid = self.col.isNotNull()
        if self.floating:
            valid = valid & ~F.isnan(self.col)
        elif self.is_string:
            valid = valid & (F.trim(self.col) != F.lit(""))
        self.valid = valid
        self.kept = F.when(valid, self.col)
        self.non_null = F.sum(F.when(valid, 1).otherwise(0))

    def distinct(self, approx: bool) -> Column:
        from pyspark.sql import functions as F

        return F.approx_count_distinct(self.kept) if approx else F.count_distinct(self.kept)

    def unique_ratio(self, approx: bool) -> Column:
        from pyspark.sql import functions as F

        return F.when(self.non_null == 0, F.lit(0.0)).otherwise(self.distinct(approx) / self.non_null)

    def aggregate(self, metric: str, total: int, exact: bool, accuracy: int, approx_distinct: bool) -> Column:
        from pyspark.sql import functions as F
        from pyspark.sql.types import MapType

        none = F.lit(None).cast("string")
        if metric in PERCENTILES:
            if not self.numeric:
                return none
            if exact:
                return F.percentile(self.kept.cast("double"), F.lit(PERCENTILES[metric]))
            return F.percentile_approx(self.kept, PERCENTILES[metric], accuracy)
        if metric == "blankValueRatio":
            if not self.is_string:
                return F.lit(0.0)
            return F.sum(F.when(F.trim(self.col) == F.lit(""), 1).otherwise(0)) / F.count(F.lit(1))
        if metric == "dataLength":
            name = type_name(self.field)
            if name.startswith("decimal"):
                return F.lit(16)
            if self.is_string:
                return F.max(F.length(self.col))
            return F.lit(TYPE_BYTES[name]) if name in TYPE_BYTES else none
        if metric == "dataType":
            return F.lit(type_name(self.field))
        if metric in ("max", "min"):
            if isinstance(self.field.dataType, MapType):
                return none
            extreme = F.max(self.kept) if metric == "max" else F.min(self.kept)
            return extreme.cast("string")
        if metric in ("maximumLength", "minimumLength"):
            if not self.is_string:
                return none
            length = F.length(self.col)
            return F.max(length) if metric == "maximumLength" else F.min(length)
        if metric == "mean":
            return F.avg(self.kept) if self.numeric else none
        if metric == "nonNullCount":
            return self.non_null
        if metric == "nullValueRatio":
            missing = self.col.isNull() | F.isnan(self.col) if self.floating else self.col.isNull()
            return F.sum(F.when(missing, 1).otherwise(0)) / F.count(F.lit(1))
        if metric == "skewness":
            return F.skewness(self.kept) if self.numeric else none
        if metric == "totalCount":
            return F.lit(total)
        if metric == "standardDeviation":
            return F.stddev(self.kept) if self.numeric else none
        if metric == "standardError":
            return F.stddev(self.kept) / F.sqrt(self.non_null) if self.numeric else none
        if metric in ("uniqueValueRatio", "primaryKeyCandidate"):
            return self.unique_ratio(approx_distinct)
        if metric == "categoryCount":
            return F.lit(0) if self.numeric else self.distinct(approx_distinct)
        raise AssertionError(metric)


def modes(df: DataFrame) -> list[str]:
    """Each column's most frequent value (nulls and NaN left out) as text; "" on a tie or when none."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F
    from pyspark.sql.types import DoubleType, FloatType

    cells = []
    for index, field in enumerate(df.schema.fields):
        column = F.col(f"`{field.name}`")
        present = column.isNotNull()
        if isinstance(field.dataType, DoubleType | FloatType):
            present = present & ~F.isnan(column)
        cells.append(F.when(present, F.struct(F.lit(index).alias("i"), column.cast("string").alias("v"))))
    exploded = df.select(F.explode(F.filter(F.array(*cells), lambda c: c.isNotNull())).alias("c"))
    counted = exploded.groupBy(F.col("c.i").alias("i"), F.col("c.v").alias("v")).count()
    ranked = counted.withColumn(
        "r", F.row_number().over(Window.partitionBy("i").orderBy(F.desc("count"), F.asc("v")))
    ).where("r <= 2")
    top: dict[int, list[tuple[str, int]]] = {}
    for row in ranked.orderBy("i", "r").collect():
        top.setdefault(int(row["i"]), []).append((row["v"], int(row["count"])))
    out = []
    for index in range(len(df.columns)):
        best = top.get(index, [])
        if not best or (len(best) > 1 and best[0][1] == best[1][1]):
            out.append("")
        else:
            out.append(best[0][0])
    return out


def formatted(metric: str, value: Any, round_at: int) -> str:
    text = scala_text(value)
    if metric in ("columnName", "dataType"):
        return text
    if metric in INTEGER_METRICS:
        return rounded_long_text(text)
    return rounded_double_text(text, round_at + 2 if metric.endswith("Ratio") else round_at)


class DataSummary(ET):
    name = "DataSummary"
    alg_type = "undefined"
    doc = (
        "Statistics of every column of a table, one row per column (columnName, ordinalPosition, then the "
        "metrics): quartiles, mean, min/max, lengths, null/blank/unique ratios, mode ..., all as text."
    )
    params = (
        ETParam("metrics", "comma-separated metrics (default: all but %25, %75, skewness, categoryCount): "
                + ", ".join(METRICS)),
        ETParam("roundAt", "decimal places (ratios get 2 more)", default="2"),
        ETParam("approxThreshold", "up to this many rows every metric is exact; -1: always approximate",
                default="100000"),
        ETParam("relativeError", "the relative error of approximate quantiles", default="0.01"),
        ETParam("approxCountDistinct", "approximate distinct counts on large tables", default="true"),
        ETParam("threshold", "approximate unique ratios at or above this (and below 1) are recounted exactly",
                default="0.9"),
    )  # fmt: skip
    example = (
        "select 'a' as name, 57 as age union all select 'b', 50 union all select '', 21 as people;\n"
        "run people as DataSummary.`` as summary;"
    )

    def run(self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]) -> DataFrame:
        from pyspark.sql.types import StringType, StructField, StructType

        df = need_table(self, table)
        metrics = selected_metrics(self, options.get("metrics", ""))
        round_at = integer(self, options, "roundAt", 2)
        threshold_rows = integer(self, options, "approxThreshold", 100000)
        relative_error = number(self, options, "relativeError", 0.01)
        approx_distinct = flag(self, options, "approxCountDistinct", True)
        recount_at = number(self, options, "threshold", 0.9)
        for name in df.columns:
            if "." in name or "`" in name:
                raise ByzerError(
                    f"DataSummary: the column name '{name}' contains '.' or '`'; rename it first"
                )
        total = df.count()
        if total == 0 or not df.columns:
            return ctx.spark.createDataFrame([], StructType([]))
        exact = threshold_rows != -1 and total <= threshold_rows
        if exact:
            approx_distinct = False
        accuracy = int(1 / relative_error) if relative_error > 0 else 10000
        columns = [_Column(field) for field in df.schema.fields]
        aggregated = [m for m in metrics if m != "mode"]
        expressions = [
            column.aggregate(metric, total, exact, accuracy, approx_distinct).alias(f"m{m_i}_{c_i}")
            for m_i, metric in enumerate(aggregated)
            for c_i, column in enumerate(columns)
        ]
        values: dict[tuple[str, int], Any] = {}
        if expressions:
            row = df.select(*expressions).first()
            assert row is not None
            for m_i, metric in enumerate(aggregated):
                for c_i in range(len(columns)):
                    values[(metric, c_i)] = row[f"m{m_i}_{c_i}"]
        if approx_distinct and any(m in metrics for m in ("uniqueValueRatio", "primaryKeyCandidate")):
            self._recount(df, columns, metrics, values, recount_at)
        for c_i in range(len(columns)):
            if "primaryKeyCandidate" in metrics:
                ratio = values[("primaryKeyCandidate", c_i)]
                values[("primaryKeyCandidate", c_i)] = 1 if ratio is not None and ratio >= 1 else 0
        if "mode" in metrics:
            for c_i, mode in enumerate(modes(df)):
                values[("mode", c_i)] = mode
        names = [*ALWAYS, *metrics]
        rows = []
        for c_i, column in enumerate(columns):
            raw = {"columnName": column.field.name, "ordinalPosition": c_i + 1}
            raw.update({metric: values[(metric, c_i)] for metric in metrics})
            rows.append(tuple(formatted(name, raw[name], round_at) for name in names))
        schema = StructType([StructField(name, StringType(), True) for name in names])
        return ctx.spark.createDataFrame(rows, schema)

    def _recount(
        self,
        df: DataFrame,
        columns: list[_Column],
        metrics: list[str],
        values: dict[tuple[str, int], Any],
        recount_at: float,
    ) -> None:
        """Approximate unique ratios close to (but not) 1 decide primary keys: count those exactly."""
        key = "uniqueValueRatio" if "uniqueValueRatio" in metrics else "primaryKeyCandidate"
        doubtful = [
            c_i
            for c_i in range(len(columns))
            if values[(key, c_i)] is not None and recount_at <= values[(key, c_i)] < 1
        ]
        if not doubtful:
            return
        row = df.select(*[columns[c_i].unique_ratio(False).alias(f"u{c_i}") for c_i in doubtful]).first()
        assert row is not None
        for c_i in doubtful:
            for metric in ("uniqueValueRatio", "primaryKeyCandidate"):
                if metric in metrics:
                    values[(metric, c_i)] = row[f"u{c_i}"]
