"""Tables about the engine itself: ``modelList``, ``modelParams``, ``modelExample`` and ``_mlsql_``.

``load _mlsql_.`PATH` `` paths: ``datasources``, ``jobs``, ``jobs/NAME``, ``tables``, ``functions``,
``progress/NAME``.
"""

from __future__ import annotations

import json
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime.sources.base import DataSource, SourceContext

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import DataType

JOB_PROVIDER_GROUP = "byzer_engine.job_providers"
# Further ``_mlsql_`` tables from other packages (e.g. ``llm_usage``): an object with ``columns``
# and ``rows(owners)`` (``owners``: the owners whose rows to show, None for all).
TABLE_PROVIDER_GROUP = "byzer_engine.mlsql_tables"


def rows_table(
    spark: SparkSession, rows: list[dict[str, Any]], columns: list[str] | None = None
) -> DataFrame:
    """A table from dict rows whose keys and types may differ: each column gets the narrowest type
    that fits every value (bool, bigint, double, else string; dicts and lists as JSON text)."""
    from pyspark.sql.types import StructField, StructType

    names: list[str] = list(columns or [])
    for row in rows:
        names.extend(k for k in row if k not in names)
    types = {name: _column_type([row.get(name) for row in rows]) for name in names}
    schema = StructType([StructField(name, types[name], True) for name in names])
    data = [tuple(_convert(row.get(name), types[name]) for name in names) for row in rows]
    return spark.createDataFrame(data, schema)


def _column_type(values: list[Any]) -> DataType:
    from pyspark.sql.types import BooleanType, DoubleType, LongType, StringType

    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return BooleanType()
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return LongType()
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return DoubleType()
    return StringType()


def _convert(value: Any, data_type: DataType) -> Any:
    from pyspark.sql.types import DoubleType, StringType

    if value is None:
        return None
    if isinstance(data_type, DoubleType):
        return float(value)
    if isinstance(data_type, StringType) and not isinstance(value, str):
        return json.dumps(value, default=str) if isinstance(value, dict | list) else str(value)
    return value


def _engine(ctx: SourceContext) -> Any:
    if ctx.engine is None:
        raise ByzerError("engine introspection is only available inside a running engine")
    return ctx.engine


def model_list(ctx: SourceContext) -> DataFrame:
    rows = []
    for entry in _engine(ctx).ets.entries():
        if entry.plugin is None:
            rows.append({"name": entry.name, "algType": "unavailable", "doc": f"cannot load: {entry.error}"})
        else:
            rows.append({"name": entry.name, "algType": entry.plugin.alg_type, "doc": entry.plugin.doc})
    return rows_table(ctx.spark, rows, ["name", "algType", "doc"])


def model_params(ctx: SourceContext, name: str) -> DataFrame:
    et_class = _engine(ctx).ets.get_class(name)
    rows = [
        {
            "param": p.name,
            "description": p.doc,
            "default": p.default,
            "required": p.required,
            "values": ",".join(p.values),
        }
        for p in et_class.params
    ]
    # Algorithm ETs add a ``fitParam.[group].<name>`` row per parameter of their MLlib estimator.
    model_param_rows = getattr(et_class, "model_param_rows", None)
    if callable(model_param_rows):
        rows.extend(model_param_rows())
    return rows_table(ctx.spark, rows, ["param", "description", "default", "required", "values"])


def model_example(ctx: SourceContext, name: str) -> DataFrame:
    et_class = _engine(ctx).ets.get_class(name)
    row = {"name": et_class.name or name, "doc": et_class.doc, "example": et_class.example}
    return rows_table(ctx.spark, [row], ["name", "doc", "example"])


def datasources(ctx: SourceContext) -> DataFrame:
    rows = [{"name": s.name, "doc": s.doc} for s in _engine(ctx).sources.all()]
    return rows_table(ctx.spark, rows, ["name", "doc"])


def _providers() -> list[tuple[str, Any]]:
    found = []
    for entry in entry_points(group=JOB_PROVIDER_GROUP):
        try:
            found.append((entry.name, entry.load()))
        except Exception:
            # A provider that cannot be imported (its optional stack missing) has no jobs to show.
            continue
    return found


def jobs(ctx: SourceContext) -> DataFrame:
    rows: list[dict[str, Any]] = [{"source": "engine", **job.to_dict()} for job in _visible_jobs(ctx)]
    if _engine(ctx).owners_visible_to(ctx.owner) is not None:
        return rows_table(ctx.spark, rows, _JOB_COLUMNS)
    for name, provider in _providers():
        rows.extend({"source": name, **row} for row in provider.list_jobs())
    return rows_table(ctx.spark, rows, _JOB_COLUMNS)


_JOB_COLUMNS = [
    "source",
    "owner",
    "jobName",
    "jobType",
    "content",
    "groupId",
    "progress",
    "startTime",
    "timeout",
    "status",
]


def _visible_jobs(ctx: SourceContext) -> list[Any]:
    """The jobs this script's owner may see: its own when owners are isolated, else all."""
    engine = _engine(ctx)
    jobs: list[Any] = engine.running_jobs(engine.owners_visible_to(ctx.owner))
    return jobs


def job_detail(ctx: SourceContext, name: str) -> DataFrame:
    for job in _visible_jobs(ctx):
        if name in (job.job_name, job.group_id):
            return rows_table(ctx.spark, [{"source": "engine", **job.to_dict()}])
    for _provider_name, provider in _providers():
        log = provider.job_log(name)
        if log is not None:
            return rows_table(ctx.spark, list(log))
    raise ByzerError(f"no job named '{name}'")


def temp_tables(ctx: SourceContext) -> DataFrame:
    rows = [
        {"name": t.name, "database": t.namespace[0] if t.namespace else None, "isTemporary": t.isTemporary}
        for t in ctx.spark.catalog.listTables()
    ]
    return rows_table(ctx.spark, rows, ["name", "database", "isTemporary"])


def functions(ctx: SourceContext) -> DataFrame:
    rows = [
        {"name": f.name, "className": f.className, "isTemporary": f.isTemporary}
        for f in ctx.spark.catalog.listFunctions()
    ]
    return rows_table(ctx.spark, rows, ["name", "className", "isTemporary"])


CALL_COLUMNS = ("rowsDone", "rowsTotal", "outputTokens", "tokensPerSecond", "etaSeconds")


def progress(ctx: SourceContext, name: str) -> DataFrame:
    for job in _visible_jobs(ctx):
        if name in (job.job_name, job.group_id):
            calls = job.calls.to_dict() if job.calls is not None else dict.fromkeys(CALL_COLUMNS)
            row = {"jobName": job.job_name, "groupId": job.group_id, "progress": job.progress, **calls}
            return rows_table(ctx.spark, [row], ["jobName", "groupId", "progress", *CALL_COLUMNS])
    raise ByzerError(f"no running job named '{name}'")


def version(ctx: SourceContext) -> DataFrame:
    """``!show version``: this engine's version and the Spark it runs on (one row)."""
    import platform

    from byzer_engine import __version__

    row = ("byzer-engine", __version__, ctx.spark.version, platform.python_version())
    return ctx.spark.createDataFrame(
        [row], "name string, version string, sparkVersion string, pythonVersion string"
    )


def provided_table(ctx: SourceContext, provider: Any) -> DataFrame:
    """A table of another package, scoped to the owners this script may see (as ``jobs`` is)."""
    visible = _engine(ctx).owners_visible_to(ctx.owner)
    rows = provider.rows(None if visible is None else sorted(visible))
    return rows_table(ctx.spark, rows, list(provider.columns))


def mlsql_table(ctx: SourceContext, path: str) -> DataFrame:
    parts = [p for p in path.strip().strip("`").split("/") if p]
    head, rest = (parts[0], "/".join(parts[1:])) if parts else ("", "")
    if head == "datasources" and not rest:
        return datasources(ctx)
    if head == "jobs":
        return job_detail(ctx, rest) if rest else jobs(ctx)
    if head == "tables" and not rest:
        return temp_tables(ctx)
    if head == "functions" and not rest:
        return functions(ctx)
    if head == "progress" and rest:
        return progress(ctx, rest)
    if head == "version" and not rest:
        return version(ctx)
    if head == "et":
        return model_example(ctx, rest) if rest else model_list(ctx)
    provided = {entry.name: entry for entry in entry_points(group=TABLE_PROVIDER_GROUP)}
    if head in provided and not rest:
        return provided_table(ctx, provided[head].load())
    known = ", ".join(
        [
            "datasources, jobs, jobs/NAME, tables, functions, progress/NAME, et, et/NAME, version",
            *sorted(provided),
        ]
    )
    raise ByzerError(f"unknown _mlsql_ path '{path}'; known: {known}")


class ModelListSource(DataSource):
    name = "modelList"
    doc = "all ETs: name, algType, doc"
    path_is_file = False

    def load(self, ctx: SourceContext, path: str, options: dict[str, str]) -> DataFrame:
        return model_list(ctx)


class ModelParamsSource(DataSource):
    name = "modelParams"
    doc = "the parameters of the ET named by the path"
    path_is_file = False

    def load(self, ctx: SourceContext, path: str, options: dict[str, str]) -> DataFrame:
        return model_params(ctx, path)


class ModelExampleSource(DataSource):
    name = "modelExample"
    doc = "the documentation and an example of the ET named by the path"
    path_is_file = False

    def load(self, ctx: SourceContext, path: str, options: dict[str, str]) -> DataFrame:
        return model_example(ctx, path)


class MlsqlSource(DataSource):
    name = "_mlsql_"
    doc = "engine state: datasources, jobs, jobs/NAME, tables, functions, progress/NAME"
    path_is_file = False

    def load(self, ctx: SourceContext, path: str, options: dict[str, str]) -> DataFrame:
        return mlsql_table(ctx, path)
