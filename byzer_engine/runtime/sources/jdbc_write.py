"""JDBC saves that lose nothing and can upsert.

Every save first writes the table's rows, distributed by Spark's JDBC writer, into a staging table
next to the target (``byzer_stage_<id>``). Only when that write succeeded does one transaction on a
driver-side connection move the rows into place:

- ``overwrite``: the old table is dropped and the staging table renamed to its name (with
  ``truncate="true"``: the old rows are deleted and the new ones inserted, keeping its definition);
- ``append`` with ``idCol="id[,id2]"``: rows are upserted with the dialect's own statement
  (PostgreSQL/SQLite ``ON CONFLICT``, MySQL/MariaDB ``ON DUPLICATE KEY UPDATE``; others: delete the
  matching rows, then insert);
- a target that does not exist is created (with a unique index on ``idCol`` when given).

A query that fails while its rows are written therefore leaves the target as it was. Byzer's
``driver-statement-N`` options are run, in order of N, on the same connection before the write.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from byzer_engine.lang.errors import ByzerError, ByzerRuntimeError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

_DRIVER_STATEMENT = re.compile(r"^driver-statement-(\d+)$")
# Options the engine reads here; they never reach Spark's JDBC writer.
WRITE_KEYS = frozenset({"idCol", "truncate"})


@dataclass(frozen=True)
class Dialect:
    name: str
    quote: str  # identifier quote character

    def ident(self, name: str) -> str:
        """A column name, quoted (table names are used as written, as Spark's JDBC writer does)."""
        return self.quote + name.replace(self.quote, self.quote * 2) + self.quote

    def insert(self, target: str, stage: str, columns: list[str]) -> str:
        cols = ", ".join(self.ident(c) for c in columns)
        return f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {stage}"

    def upsert(self, target: str, stage: str, columns: list[str], keys: list[str]) -> list[str]:
        select = self.insert(target, stage, columns)
        others = [c for c in columns if c not in keys]
        if self.name in {"postgresql", "sqlite"}:
            action = (
                "DO UPDATE SET " + ", ".join(f"{self.ident(c)} = excluded.{self.ident(c)}" for c in others)
                if others
                else "DO NOTHING"
            )
            # SQLite needs a WHERE after the SELECT to parse ON CONFLICT (its documented ambiguity).
            where = " WHERE true" if self.name == "sqlite" else ""
            return [f"{select}{where} ON CONFLICT ({', '.join(self.ident(k) for k in keys)}) {action}"]
        if self.name in {"mysql", "mariadb"}:
            updates = others or keys
            sets = ", ".join(f"{self.ident(c)} = VALUES({self.ident(c)})" for c in updates)
            return [f"{select} ON DUPLICATE KEY UPDATE {sets}"]
        match = " AND ".join(f"{target}.{self.ident(k)} = s.{self.ident(k)}" for k in keys)
        return [
            f"DELETE FROM {target} WHERE EXISTS (SELECT 1 FROM {stage} s WHERE {match})",
            select,
        ]


def dialect_of(url: str) -> Dialect:
    lowered = url.lower()
    for name in ("postgresql", "sqlite", "mysql", "mariadb"):
        if lowered.startswith(f"jdbc:{name}:"):
            return Dialect(name, "`" if name in {"mysql", "mariadb"} else '"')
    return Dialect("generic", '"')


def driver_statements(options: dict[str, str]) -> list[str]:
    """``driver-statement-0="..."``, ``driver-statement-1="..."`` ... in order of N."""
    found = [(int(m.group(1)), v) for k, v in options.items() if (m := _DRIVER_STATEMENT.match(k))]
    return [statement for _, statement in sorted(found)]


class JdbcConnection:
    """One JDBC connection on the driver, opened through the JVM with the save's options."""

    def __init__(self, spark: SparkSession, options: dict[str, str]) -> None:
        jvm: Any = spark._jvm  # type: ignore[attr-defined]
        if jvm is None:
            raise ByzerError("jdbc save needs a local or cluster Spark session (not Spark Connect)")
        driver = options.get("driver")
        if driver:
            jvm.org.apache.spark.sql.execution.datasources.jdbc.DriverRegistry.register(driver)
        properties = jvm.java.util.Properties()
        for key in ("user", "password"):
            if options.get(key) is not None:
                properties.setProperty(key, options[key])
        self.connection = jvm.java.sql.DriverManager.getConnection(options["url"], properties)

    def execute(self, sql: str) -> None:
        statement = self.connection.createStatement()
        try:
            statement.execute(sql)
        finally:
            statement.close()

    def table_exists(self, table: str) -> bool:
        try:
            self.execute(f"SELECT 1 FROM {table} WHERE 1 = 0")
        except Exception:
            return False
        return True

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.connection.setAutoCommit(False)
        try:
            yield
            self.connection.commit()
        except BaseException:
            self.connection.rollback()
            raise
        finally:
            self.connection.setAutoCommit(True)

    def close(self) -> None:
        self.connection.close()


def column_types(df: DataFrame, url: str) -> str:
    """The column list of a CREATE TABLE for ``df``, as Spark's JDBC writer would write it."""
    jvm: Any = df.sparkSession._jvm  # type: ignore[attr-defined]
    dialect = jvm.org.apache.spark.sql.jdbc.JdbcDialects.get(url)
    utils = jvm.org.apache.spark.sql.execution.datasources.jdbc.JdbcUtils
    return str(utils.schemaString(dialect, df._jdf.schema(), False, jvm.scala.Option.empty()))


def _stage_name(table: str) -> str:
    schema, dot, _ = table.rpartition(".")
    return f"{schema}{dot}byzer_stage_{uuid.uuid4().hex[:12]}"


def _jdbc_error(exc: Exception) -> str:
    text = str(exc)
    for line in text.splitlines():
        if "Exception:" in line:
            return line.split("Exception:", 1)[1].strip()
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def save_jdbc(df: DataFrame, mode: str, options: dict[str, str]) -> None:
    """Writes ``df`` to ``options["dbtable"]`` under Byzer's save modes (see the module's doc)."""
    mode = mode.lower()
    table = options["dbtable"]
    statements = driver_statements(options)
    keys = [k.strip() for k in options.get("idCol", "").split(",") if k.strip()]
    missing = [k for k in keys if k not in df.columns]
    if missing:
        raise ByzerError(f"jdbc save: idCol {', '.join(missing)} is not a column of the table")
    writer_options = {
        k: v for k, v in options.items() if k not in WRITE_KEYS and not _DRIVER_STATEMENT.match(k)
    }
    dialect = dialect_of(options["url"])
    connection = JdbcConnection(df.sparkSession, options)
    try:
        for statement in statements:
            try:
                connection.execute(statement)
            except Exception as exc:
                raise ByzerRuntimeError(
                    f"jdbc driver statement failed: {statement}: {_jdbc_error(exc)}"
                ) from None
        exists = connection.table_exists(table)
        if exists and mode == "ignore":
            return
        if exists and mode in {"errorifexists", "error"}:
            raise ByzerRuntimeError(f"jdbc table {table} already exists (use save overwrite or append)")
        rename = "ALTER TABLE {stage} RENAME TO " + table.rpartition(".")[2]
        insert = dialect.insert(table, "{stage}", df.columns)
        if not exists:
            moves = [rename]
        elif mode == "append":
            # Spark's writer commits per task, so even a plain append goes through the staging table:
            # a query that fails adds no rows.
            moves = dialect.upsert(table, "{stage}", df.columns, keys) if keys else [insert]
        elif options.get("truncate", "false").lower() == "true":
            moves = [f"DELETE FROM {table}", insert]
        else:
            moves = [f"DROP TABLE {table}", rename]
        _stage_and_move(df, writer_options, connection, table, moves)
        if not exists and keys:
            name = re.sub(r"\W", "_", f"byzer_{table.rpartition('.')[2]}_{'_'.join(keys)}_key")
            columns = ", ".join(dialect.ident(k) for k in keys)
            connection.execute(f"CREATE UNIQUE INDEX {name} ON {table} ({columns})")
    finally:
        connection.close()


def _stage_and_move(
    df: DataFrame, writer_options: dict[str, str], connection: JdbcConnection, table: str, moves: list[str]
) -> None:
    """Writes ``df`` into a new staging table, then runs ``moves`` (``{stage}`` = its name) in one transaction."""
    stage = _stage_name(table)
    try:
        # Created here (with Spark's own column types for the database): Spark's writer cannot tell a
        # missing table from an error on databases it has no dialect for (SQLite), so it only appends.
        connection.execute(f"CREATE TABLE {stage} ({column_types(df, writer_options['url'])})")
        df.write.format("jdbc").options(**{**writer_options, "dbtable": stage}).mode("append").save()
        with connection.transaction():
            for statement in moves:
                try:
                    connection.execute(statement.replace("{stage}", stage))
                except Exception as exc:
                    raise ByzerRuntimeError(f"jdbc save into {table} failed: {_jdbc_error(exc)}") from None
    finally:
        if connection.table_exists(stage):
            connection.execute(f"DROP TABLE {stage}")
