"""DataTranspose (pivot / unpivot) and Pivot (group, spread a column's values, aggregate)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime.ets.base import ET, ETContext, ETParam
from byzer_engine.runtime.ets.data._common import empty_result, is_predict, need_column, need_table, required

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

METHODS = ("pivot", "unpivot")


def column_list(text: str) -> list[str]:
    return [c.strip().strip("`") for c in text.split(",") if c.strip()]


def top_level_split(text: str) -> list[str]:
    """``sum(a),avg(b)`` → ``["sum(a)", "avg(b)"]`` (commas inside parentheses or quotes stay)."""
    parts: list[str] = []
    depth, quote = 0, ""
    current: list[str] = []
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"`":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    parts.append("".join(current).strip())
    return [p for p in parts if p]


def _col(name: str) -> Column:
    from pyspark.sql import functions as F

    return F.col(f"`{name}`")


class DataTranspose(ET):
    name = "DataTranspose"
    alg_type = "undefined"
    doc = (
        "Transposes a table. pivot: each distinct value of inputCol (sorted) becomes a column holding "
        "the sum of aggCol per indexCols row; unpivot: each of unPivotCols becomes a row (mergedCol = "
        "the column's name, aggCol = its value) per indexCols row."
    )
    params = (
        ETParam("method", "pivot or unpivot", required=True, values=METHODS),
        ETParam("indexCols", "comma-separated columns that identify a row"),
        ETParam("inputCol", "pivot: the column whose values become columns"),
        ETParam("aggCol", "pivot: the column summed; unpivot: the name of the value column"),
        ETParam("unPivotCols", "unpivot: comma-separated columns turned into rows"),
        ETParam("mergedCol", "unpivot: the name of the column holding the former column names"),
    )
    example = (
        "select 'a' as id, 'x' as k, 1 as v union all select 'a', 'y', 2 as t;\n"
        'run t as DataTranspose.`` where method="pivot" and indexCols="id" and inputCol="k" '
        'and aggCol="v" as wide;'
    )

    def run(self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]) -> DataFrame:
        if is_predict(ctx):
            return empty_result(ctx.spark)
        df = need_table(self, table)
        method = required(self, options, "method", "pivot or unpivot")
        if method not in METHODS:
            raise ByzerError(f"DataTranspose: method must be pivot or unpivot, not {method!r}")
        index = column_list(options.get("indexCols", ""))
        for column in index:
            need_column(self, df, column, "indexCols")
        if method == "pivot":
            return self._pivot(df, index, options)
        return self._unpivot(df, index, options)

    def _pivot(self, df: DataFrame, index: list[str], options: dict[str, str]) -> DataFrame:
        from pyspark.sql import functions as F

        header = required(self, options, "inputCol")
        value = required(self, options, "aggCol")
        need_column(self, df, header, "inputCol")
        need_column(self, df, value, "aggCol")
        # Without a value list Spark collects the distinct values itself, sorted.
        return df.groupBy(*[_col(c) for c in index]).pivot(header).agg(F.sum(_col(value)))

    def _unpivot(self, df: DataFrame, index: list[str], options: dict[str, str]) -> DataFrame:
        columns = column_list(required(self, options, "unPivotCols"))
        for column in columns:
            need_column(self, df, column, "unPivotCols")
        merged = required(self, options, "mergedCol")
        value = required(self, options, "aggCol")
        return df.unpivot([_col(c) for c in index], [_col(c) for c in columns], merged, value)


class Pivot(ET):
    name = "Pivot"
    alg_type = "undefined"
    doc = (
        "A pivot table: rows grouped by columnLeft, one column per value of columnHeader (or only "
        "columnHeaderFields), each cell the aggregates of sunFunc; columnSum names them <columnSum>_<fn>."
    )
    params = (
        ETParam("columnLeft", "comma-separated group-by columns", required=True),
        ETParam("columnHeader", "the column whose values become columns", required=True),
        ETParam("columnHeaderFields", "comma-separated header values to keep (default: all, sorted)"),
        ETParam("sunFunc", "comma-separated aggregates, e.g. sum(score),avg(score)", required=True),
        ETParam("columnSum", "a prefix naming each aggregate <columnSum>_<fn>"),
    )
    example = (
        "select 'a' as name, 'math' as subject, 90 as score union all select 'a', 'art', 80 as t;\n"
        'run t as Pivot.`` where columnLeft="name" and columnHeader="subject" '
        'and sunFunc="sum(score)" as wide;'
    )

    def run(self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]) -> DataFrame:
        from pyspark.sql import functions as F

        df = need_table(self, table)
        left = column_list(required(self, options, "columnLeft"))
        for column in left:
            need_column(self, df, column, "columnLeft")
        header = required(self, options, "columnHeader").strip("`")
        need_column(self, df, header, "columnHeader")
        functions = top_level_split(required(self, options, "sunFunc"))
        prefix = options.get("columnSum", "").strip()
        aggregates = []
        for text in functions:
            aggregate = F.expr(text)
            if prefix:
                aggregate = aggregate.alias(f"{prefix}_{text.split('(', 1)[0].strip()}")
            aggregates.append(aggregate)
        fields: list[bool | float | int | str] = list(column_list(options.get("columnHeaderFields", "")))
        grouped = df.groupBy(*[_col(c) for c in left])
        pivoted = grouped.pivot(header, fields) if fields else grouped.pivot(header)
        return pivoted.agg(*aggregates)
