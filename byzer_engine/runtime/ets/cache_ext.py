"""``!cache TABLE [script|session]`` and ``!uncache TABLE``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime.ets.base import ET, ETContext, ETParam

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

LIFETIMES = ("script", "session")


class CacheExt(ET):
    name = "CacheExt"
    alg_type = "command"
    doc = "Caches a table in memory (lifeTime script: until the script ends; session: until uncached)."
    params = (
        ETParam("execute", "cache or uncache", default="cache", values=("cache", "uncache")),
        ETParam("lifeTime", "how long the cache lives", default="script", values=LIFETIMES),
    )
    example = "!cache t session;\n!uncache t;"

    def run(self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]) -> DataFrame:
        if table is None:
            raise ByzerError("!cache needs a table")
        execute = options.get("execute", "cache")
        if execute == "uncache":
            table.unpersist()
            return table
        if execute != "cache":
            raise ByzerError(f"CacheExt: execute must be cache or uncache, not {execute!r}")
        life = options.get("lifeTime") or "script"
        if life not in LIFETIMES:
            raise ByzerError(f"!cache: lifeTime must be one of {', '.join(LIFETIMES)}, not {life!r}")
        table.persist()
        if life == "script":

            def release() -> None:
                table.unpersist()

            ctx.at_script_end(release)
        return table
