"""SyntaxAnalyzeExt: the tables a SQL query reads."""

from __future__ import annotations

from typing import TYPE_CHECKING

from byzer_engine.lang.errors import ByzerError
from byzer_engine.lang.sqlreads import sqlglot_reads
from byzer_engine.runtime.ets.base import ET, ETContext, ETParam
from byzer_engine.runtime.ets.data._common import required

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

ACTIONS = ("extractTables",)


class SyntaxAnalyzeExt(ET):
    name = "SyntaxAnalyzeExt"
    alg_type = "undefined"
    doc = "Analyses a SQL query without running it: action extractTables lists the tables it reads."
    params = (
        ETParam("action", "what to analyse", default="extractTables", values=ACTIONS),
        ETParam("sql", "the query (a trailing ';' is ignored)", required=True),
    )
    example = (
        'run command as SyntaxAnalyzeExt.`` where action="extractTables" '
        "and sql='''select a from t1 join (select b from t2) x on t1.id = x.id''' as tables;"
    )

    def run(self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]) -> DataFrame:
        action = options.get("action", "").strip() or "extractTables"
        if action not in ACTIONS:
            raise ByzerError(f"SyntaxAnalyzeExt: action must be one of {', '.join(ACTIONS)}, not {action!r}")
        sql = required(self, options, "sql").rstrip().rstrip(";").strip()
        reads = sqlglot_reads(sql)
        if reads is None:
            raise ByzerError(f"SyntaxAnalyzeExt: cannot parse the query: {sql}")
        return ctx.spark.createDataFrame([(name,) for name in reads], "tableName string")
