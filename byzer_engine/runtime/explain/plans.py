"""A query's plan as Spark explains it, and the Python UDF calls in its optimized plan.

Spark's optimizer pulls every Python UDF out into an ``ArrowEvalPython`` / ``BatchEvalPython`` node
(``AggregateInPandas`` later, for a grouped aggregate UDF, which stays inside its ``Aggregate``); the
node's child is exactly what the UDF will be fed. For each call this module builds a DataFrame of the
call's argument values over that child, so an estimator can count and inspect them: evaluating it runs
the query below the call, never the call itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from byzer_engine.runtime.explain.calls import PythonCall

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

_EVAL_NODES = ("ArrowEvalPython", "BatchEvalPython")
_PYTHON_UDF = "PythonUDF"


def plan_text(df: DataFrame, mode: str = "") -> str:
    """Spark's own ``EXPLAIN [mode]`` text of ``df`` (simple, extended, formatted, codegen or cost)."""
    jvm: Any = df.sparkSession._jvm  # type: ignore[attr-defined]
    text: str = jvm.org.apache.spark.sql.api.python.PythonSQLUtils.explainString(
        df._jdf.queryExecution(),  # type: ignore[operator]
        mode or "simple",
    )
    return text.strip()


def _seq(scala_seq: Any) -> list[Any]:
    return [scala_seq.apply(i) for i in range(scala_seq.size())]


def _simple_name(obj: Any) -> str:
    name: str = obj.getClass().getSimpleName()
    return name


def _udfs_below(node: Any) -> list[str]:
    """Names of the Python UDFs evaluated anywhere under ``node`` (including in it)."""
    found: list[str] = []
    stack = [node]
    while stack:
        current = stack.pop()
        kind = _simple_name(current)
        if kind in _EVAL_NODES:
            found.extend(str(u.name()) for u in _seq(current.udfs()))
        elif kind == "Aggregate":
            found.extend(str(u.name()) for u in _aggregate_udfs(current))
        stack.extend(_seq(current.children()))
    return found


def _aggregate_udfs(node: Any) -> list[Any]:
    udfs: list[Any] = []
    stack = list(_seq(node.aggregateExpressions()))
    while stack:
        expression = stack.pop()
        if _simple_name(expression) == _PYTHON_UDF:
            udfs.append(expression)
            continue
        stack.extend(_seq(expression.children()))
    return udfs


def _arguments(df: DataFrame, child: Any, expressions: list[Any]) -> DataFrame:
    """A DataFrame of ``expressions`` evaluated over the logical plan ``child``."""
    from pyspark.sql import DataFrame as PyDataFrame

    spark = df.sparkSession
    jvm: Any = spark._jvm  # type: ignore[attr-defined]
    dataset = jvm.org.apache.spark.sql.classic.Dataset.ofRows(spark._jsparkSession, child)  # type: ignore[attr-defined]
    columns = [jvm.org.apache.spark.sql.classic.ExpressionUtils.column(e) for e in expressions]
    selected = dataset.select(jvm.scala.jdk.javaapi.CollectionConverters.asScala(columns).toSeq())
    return PyDataFrame(selected, spark)


def python_calls(df: DataFrame) -> list[PythonCall]:
    """Every Python UDF call in ``df``'s optimized plan, outermost first."""
    calls: list[PythonCall] = []
    stack = [df._jdf.queryExecution().optimizedPlan()]  # type: ignore[operator]
    while stack:
        node = stack.pop(0)
        kind = _simple_name(node)
        if kind in _EVAL_NODES:
            child = node.child()
            below = tuple(_udfs_below(child))
            for udf in _seq(node.udfs()):
                calls.append(PythonCall(str(udf.name()), _arguments(df, child, _seq(udf.children())), below))
        elif kind == "Aggregate":
            child = node.child()
            below = tuple(_udfs_below(child))
            grouping = _seq(node.groupingExpressions())
            for udf in _aggregate_udfs(node):
                calls.append(
                    PythonCall(
                        str(udf.name()),
                        _arguments(df, child, [*_seq(udf.children()), *grouping]),
                        below,
                        aggregate=True,
                        grouping=tuple(str(g.sql()) for g in grouping),
                    )
                )
        stack.extend(_seq(node.children()))
    return calls
