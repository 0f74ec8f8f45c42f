"""What the wire shows as databases and tables (SHOW DATABASES/TABLES/COLUMNS, INFORMATION_SCHEMA).

- ``session``: the owner's session, i.e. the tables their scripts made (``select ... as t``,
  ``load ... as t``): Spark temporary views, visible to that owner only.
- every database of the Spark catalog (``default``, ...): the saved tables (``create table``,
  ``save ... as hive``, ``saveAsTable``), shared by every owner as they are over HTTP.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mysql_mimic.schema import Column, InfoSchema, info_schema_tables

from byzer_engine.wire.types import wire_type

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

SESSION_DB = "session"


def _columns(spark: SparkSession, name: str) -> list[tuple[str, str, bool]]:
    try:
        fields = spark.table(name).schema.fields
    except Exception:
        return []  # a view whose source went away: listed, without columns
    return [(f.name, wire_type(f.dataType).type_name, f.nullable) for f in fields]


def _quoted(*parts: str) -> str:
    return ".".join("`" + part.replace("`", "``") + "`" for part in parts)


def owner_tables(spark: SparkSession, hidden: set[str]) -> dict[str, dict[str, list[tuple[str, str, bool]]]]:
    """``{database: {table: [(column, mysql type, nullable)]}}`` as this owner's Spark session sees it."""
    schema: dict[str, dict[str, list[tuple[str, str, bool]]]] = {SESSION_DB: {}}
    for table in spark.catalog.listTables():
        if table.isTemporary and not table.namespace and table.name not in hidden:
            schema[SESSION_DB][table.name] = _columns(spark, _quoted(table.name))
    for database in spark.catalog.listDatabases():
        tables = schema.setdefault(database.name, {})
        for table in spark.catalog.listTables(database.name):
            if not table.isTemporary:
                tables[table.name] = _columns(spark, _quoted(database.name, table.name))
    return schema


def info_schema(spark: SparkSession, hidden: set[str]) -> InfoSchema:
    """mysql-mimic's INFORMATION_SCHEMA over the owner's databases (empty ones included)."""
    owned = owner_tables(spark, hidden)
    columns = [
        Column(name=name, type=kind, table=table, is_nullable=nullable, schema=db)
        for db, tables in owned.items()
        for table, fields in tables.items()
        for name, kind, nullable in fields
    ]
    data = info_schema_tables(columns)
    info = data["information_schema"]
    listed_dbs = {row[1] for row in info["schemata"].rows}
    listed_tables = {(row[1], row[2]) for row in info["tables"].rows}
    for db, tables in owned.items():
        if db not in listed_dbs:
            info["schemata"].append(("def", db, "utf8mb4", "utf8mb4_general_ci", None))
        for table, _ in tables.items():
            if (db, table) not in listed_tables:
                info["tables"].append(
                    (
                        "def",
                        db,
                        table,
                        "BASE TABLE",
                        "Spark",
                        "1.0",
                        *([None] * 11),
                        "utf8mb4_general_ci",
                        None,
                        None,
                        None,
                    )
                )
    return InfoSchema(data)
