"""JDBC databases through Spark's JDBC source.

``connect jdbc where url="..." and user="..." as db;`` stores options under an alias; then
``load jdbc.`db.orders` `` reads table ``orders`` with them, and
``save append t as jdbc.`db.orders` `` writes to it. ``directQuery`` runs a query in the database.
Saves go through ``jdbc_write`` (staging table, upsert by ``idCol``, ``driver-statement-N``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from byzer_engine.lang.errors import ByzerError
from byzer_engine.policy import Policy
from byzer_engine.runtime.sources.atomic import has_jvm
from byzer_engine.runtime.sources.base import DataSource, SourceContext
from byzer_engine.runtime.sources.jdbc_write import save_jdbc
from byzer_engine.runtime.sources.spark_format import spark_mode

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

# JDBC URL prefix -> driver class, for when ``driver`` is not given.
DRIVERS: dict[str, str] = {
    "jdbc:postgresql:": "org.postgresql.Driver",
    "jdbc:sqlite:": "org.sqlite.JDBC",
    "jdbc:mysql:": "com.mysql.cj.jdbc.Driver",
    "jdbc:mariadb:": "org.mariadb.jdbc.Driver",
    "jdbc:sqlserver:": "com.microsoft.sqlserver.jdbc.SQLServerDriver",
    "jdbc:oracle:": "oracle.jdbc.OracleDriver",
    "jdbc:db2:": "com.ibm.db2.jcc.DB2Driver",
    "jdbc:h2:": "org.h2.Driver",
    "jdbc:derby:": "org.apache.derby.jdbc.EmbeddedDriver",
    "jdbc:clickhouse:": "com.clickhouse.jdbc.ClickHouseDriver",
    "jdbc:redshift:": "com.amazon.redshift.jdbc42.Driver",
    "jdbc:snowflake:": "net.snowflake.client.jdbc.SnowflakeDriver",
    "jdbc:trino:": "io.trino.jdbc.TrinoDriver",
    "jdbc:hive2:": "org.apache.hive.jdbc.HiveDriver",
}

# Options the engine consumes; everything else goes to Spark's JDBC source as written.
_ENGINE_KEYS = {"format", "directQuery"}


def infer_driver(url: str) -> str | None:
    lowered = url.lower()
    for prefix, driver in DRIVERS.items():
        if lowered.startswith(prefix):
            return driver
    return None


def jdbc_options(ctx: SourceContext, path: str, options: dict[str, str]) -> dict[str, str]:
    """Merges a connect alias (``ALIAS.table``) with the statement's options (which win)."""
    merged: dict[str, str] = {}
    table = path
    alias, dot, rest = path.partition(".")
    stored = ctx.connections.get(alias) if dot else ctx.connections.get(path)
    if stored is not None:
        merged.update(stored)
        table = rest if dot else ""
    merged.update(options)
    if table and "dbtable" not in options:
        merged["dbtable"] = table
    query = merged.get("directQuery")
    if query:
        # A subquery in FROM works with partitionColumn too, unlike Spark's ``query`` option.
        merged["dbtable"] = f"({query}) byzer_direct_query"
    url = merged.get("url")
    if not url:
        raise ByzerError(f"jdbc: no url for '{path}' (give url=... or connect jdbc ... as ALIAS first)")
    merged = Policy.from_config(ctx.config).jdbc_options(merged, ctx.resolve_path)
    if "driver" not in merged:
        driver = infer_driver(url)
        if driver:
            merged["driver"] = driver
    if "dbtable" not in merged and "query" not in merged:
        raise ByzerError("jdbc: no table (use jdbc.`ALIAS.table`, dbtable=..., or directQuery=...)")
    return {k: v for k, v in merged.items() if k not in _ENGINE_KEYS}


class JdbcSource(DataSource):
    name = "jdbc"
    doc = "JDBC databases: url, driver, user, password, dbtable, partitionColumn, directQuery; ALIAS.table"
    path_is_file = False

    def load(self, ctx: SourceContext, path: str, options: dict[str, str]) -> DataFrame:
        return ctx.spark.read.format("jdbc").options(**jdbc_options(ctx, path, options)).load()

    def save(
        self,
        ctx: SourceContext,
        df: DataFrame,
        path: str,
        mode: str,
        options: dict[str, str],
        partition_by: tuple[str, ...],
    ) -> None:
        merged = jdbc_options(ctx, path, {k: v for k, v in options.items() if k != "directQuery"})
        if "dbtable" not in merged:
            raise ByzerError("jdbc save needs a table (jdbc.`ALIAS.table` or dbtable=...)")
        if not has_jvm(ctx.spark):
            df.write.format("jdbc").options(**merged).mode(spark_mode(mode)).save()
            return
        save_jdbc(df, mode, merged)
