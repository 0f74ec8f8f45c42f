"""Small commands behind macros: ``!kill``, ``!println`` and ``!lastCommand``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime.ets.base import ET, ETContext, ETParam

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


class Kill(ET):
    name = "Kill"
    alg_type = "command"
    doc = "Cancels a running job by name or group id (what !kill does)."
    params = (ETParam("path", "the job's name or group id", required=True),)
    example = "!kill my_job;"

    def run(self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]) -> DataFrame:
        target = path.strip()
        if not target:
            raise ByzerError("!kill needs a job name or group id")
        owners = ctx.engine.owners_visible_to(ctx.owner)
        killed = bool(ctx.engine.kill(job_name=target, owners=owners)) or bool(
            ctx.engine.kill(group_id=target, owners=owners)
        )
        return ctx.spark.createDataFrame([(target, killed)], "job string, killed boolean")


class PrintCommand(ET):
    name = "PrintCommand"
    alg_type = "command"
    doc = "Shows a message to the user running the script (what !println does); makes no table."
    params = (ETParam("message", "the text to show", required=True),)
    example = '!println "loading done";'

    def run(self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]) -> None:
        ctx.emit(options.get("message", path))
        return None


class LastCommand(ET):
    name = "LastCommand"
    alg_type = "command"
    doc = "Names the table produced by the previous statement (what !lastCommand named NAME does)."
    params = (ETParam("name", "the name to give the table", required=True),)
    example = "!desc t;\n!lastCommand named t_columns;"

    def run(self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]) -> DataFrame:
        if not ctx.last_table:
            raise ByzerError("!lastCommand: the previous statement produced no table")
        return ctx.spark.table(ctx.last_table)
