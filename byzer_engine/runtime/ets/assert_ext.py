"""``!assert TABLE '''EXPR''' "message"``: fails the script unless every row satisfies EXPR."""

from __future__ import annotations

from typing import TYPE_CHECKING

from byzer_engine.lang.errors import ByzerError, ByzerRuntimeError
from byzer_engine.runtime.colon_refs import backquote, replace_refs
from byzer_engine.runtime.ets.base import ET, ETContext, ETParam

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


class AssertExt(ET):
    name = "AssertExt"
    alg_type = "command"
    doc = "Fails the script with a message when a row does not satisfy a condition, or the table is empty."
    params = (
        ETParam("condition", "a Spark SQL condition; :col names a column", required=True),
        ETParam("message", "the error shown when the assertion fails", required=True),
    )
    example = """select 100 as total as t;\n!assert t ''':total == 100''' "total must be 100";"""

    def run(self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]) -> DataFrame:
        if table is None:
            raise ByzerError("!assert needs a table")
        condition = options.get("condition", "").strip()
        if not condition:
            raise ByzerError("!assert needs a condition")
        message = options.get("message") or f"assertion failed: {condition}"
        expression = replace_refs(condition, backquote)
        # A row whose condition is null does not satisfy it.
        condition_sql = f"NOT coalesce(({expression}), false)"
        if ctx.check_sql is not None:
            ctx.check_sql(f"SELECT 1 WHERE {condition_sql}")
        failing = _unique_names(table).where(condition_sql)
        if not table.take(1) or failing.take(1):
            raise ByzerRuntimeError(message)
        return table


def _unique_names(table: DataFrame) -> DataFrame:
    """The table with a repeated column name (a join's two ``id``) kept by its first column only, the
    later ones renamed ``NAME_2``, ``NAME_3``..., so that a condition can name either."""
    seen: dict[str, int] = {}
    names = []
    for name in table.columns:
        count = seen.get(name.lower(), 0) + 1
        seen[name.lower()] = count
        names.append(name if count == 1 else f"{name}_{count}")
    return table if names == table.columns else table.toDF(*names)
