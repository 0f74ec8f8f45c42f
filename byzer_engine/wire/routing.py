"""What a statement sent over the wire is, and so who answers it.

- ``PROTOCOL``: what MySQL clients and BI tools send about the connection and the catalog:
  ``SET`` of MySQL variables (``SET NAMES``, ``SET autocommit=1``, ``SET @@x``), ``SHOW ...``,
  ``USE db``, ``KILL``, ``DESCRIBE t``, ``BEGIN``/``COMMIT``/``ROLLBACK``, ``SELECT``s of
  ``@@variables`` and information functions with no table (``SELECT @@version, DATABASE()``), and
  queries of ``INFORMATION_SCHEMA``. mysql-mimic's session answers them.
- ``SQL``: one Spark SQL query (``SELECT``, ``WITH``, ``VALUES``, a set operation): the engine runs
  it as it is, with MySQL-style ``session.t`` names for the owner's tables made plain.
- ``SCRIPT``: anything else is a Byzer script (several statements, ``load``, ``set x = ...``
  Byzer-style, ``run``, ``save``...); its last table is the result set.
"""

from __future__ import annotations

import enum
from typing import Any

from sqlglot import exp

from byzer_engine.wire.catalog import SESSION_DB

_INFO_SCHEMAS = {"information_schema", "mysql", "performance_schema", "sys"}
# Information functions mysql-mimic answers itself (everything else goes to Spark).
_INFO_FUNCTIONS = {
    "CONNECTION_ID",
    "USER",
    "CURRENT_USER",
    "SYSTEM_USER",
    "SESSION_USER",
    "VERSION",
    "CURRENT_VERSION",
    "DATABASE",
    "SCHEMA",
    "CURRENT_SCHEMA",
    "NOW",
    "CURRENT_TIMESTAMP",
    "LAST_INSERT_ID",
}


class Route(enum.Enum):
    PROTOCOL = "protocol"
    SQL = "sql"
    SCRIPT = "script"


def route(sql: str, known_variable: Any) -> Route:
    """Which path ``sql`` takes; ``known_variable(name)`` says whether a name is a MySQL variable."""
    # "select ... as t" is both a query (t aliases the last column) and a Byzer select (t names
    # the view): a final ";" says Byzer, as in a script; without one it is SQL, as a MySQL client
    # (which strips the ";") means it.
    if sql.rstrip().endswith(";") and _is_byzer_select(sql):
        return Route.SCRIPT
    mysql = _parse(sql, "mysql")
    if mysql is not None and mysql and all(_is_protocol(e, known_variable) for e in mysql):
        return Route.PROTOCOL
    spark = _parse(sql, "spark")
    if spark is not None and len(spark) == 1 and isinstance(spark[0], exp.Query):
        return Route.SQL
    return Route.SCRIPT


def _is_byzer_select(sql: str) -> bool:
    from byzer_engine import lang
    from byzer_engine.lang.statements import Select

    try:
        statements = lang.parse_script(sql, file="<query>", skip_include=True)
    except Exception:
        return False
    return len(statements) == 1 and isinstance(statements[0], Select)


def _parse(sql: str, dialect: str) -> list[Any] | None:
    import sqlglot
    from sqlglot.errors import SqlglotError

    try:
        return [e for e in sqlglot.parse(sql, read=dialect) if e is not None]
    except (SqlglotError, ValueError, RecursionError):
        return None


def _is_protocol(expression: exp.Expression, known_variable: Any) -> bool:
    if isinstance(expression, exp.Use | exp.Kill | exp.Show | exp.Transaction | exp.Commit | exp.Rollback):
        return True
    if isinstance(expression, exp.Describe):
        return not isinstance(expression.this, exp.Query)
    if isinstance(expression, exp.Set):
        return all(_is_protocol_set(item, known_variable) for item in expression.expressions)
    if isinstance(expression, exp.Query):
        return _reads_info_schema(expression) or _is_static_select(expression)
    return False


def _is_protocol_set(item: exp.Expression, known_variable: Any) -> bool:
    if not isinstance(item, exp.SetItem):
        return False
    kind = (item.text("kind") or "").upper()
    if kind in {"NAMES", "CHARACTER SET", "CHARSET", "TRANSACTION"}:
        return True
    target = item.this
    if not isinstance(target, exp.EQ | exp.PropertyEQ):
        return kind in {"NAMES", "CHARACTER SET"} or not isinstance(target, exp.Expression)
    left = target.left
    if isinstance(left, exp.SessionParameter):
        return True
    return bool(known_variable(left.name))


def _reads_info_schema(query: exp.Expression) -> bool:
    dbs = [table.text("db").lower() for table in query.find_all(exp.Table) if table.text("db")]
    return bool(dbs) and all(db in _INFO_SCHEMAS for db in dbs)


def _is_info_function(node: Any) -> bool:
    if isinstance(node, exp.Anonymous):
        return node.name.upper() in _INFO_FUNCTIONS
    return isinstance(node, exp.Func) and node.sql_name().upper() in _INFO_FUNCTIONS


def _is_static_select(query: exp.Expression) -> bool:
    """A SELECT with no FROM of ``@@variables``, information functions and literals only."""
    if not isinstance(query, exp.Select) or query.args.get("from") or query.args.get("from_"):
        return False
    if any(query.args.get(key) for key in ("joins", "where", "group", "having", "order")):
        return False
    probes = False
    for node in query.walk():
        if isinstance(node, exp.SessionParameter) or _is_info_function(node):
            probes = True
        elif isinstance(node, exp.Func):
            return False  # a Spark function: Spark answers
        elif isinstance(node, exp.Column) and not isinstance(node.parent, exp.SessionParameter):
            return False
    return probes or all(
        isinstance(e.unalias(), exp.Literal | exp.Null | exp.Boolean) for e in query.expressions
    )


def plain_sql(sql: str) -> str:
    """``sql`` with ``session.t`` (MySQL-style names for the owner's tables) made ``t``; as written
    when it names none."""
    import sqlglot

    if SESSION_DB not in sql.lower():
        return sql
    tree = sqlglot.parse_one(sql, read="spark")
    changed = False
    for table in tree.find_all(exp.Table):
        if table.text("db").lower() == SESSION_DB and not table.text("catalog"):
            table.set("db", None)
            changed = True
    return tree.sql(dialect="spark") if changed else sql
