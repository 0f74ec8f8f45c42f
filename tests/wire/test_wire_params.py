"""Parameter binding and statement routing: tables of cases (no Spark)."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest

from byzer_engine.wire.params import bind, literal, placeholder_offsets
from byzer_engine.wire.routing import Route, route


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "NULL"),
        (True, "TRUE"),
        (7, "7"),
        (-7, "(-7)"),
        (2**40, "1099511627776L"),
        (1.5, "1.5D"),
        (decimal.Decimal("-1.50"), "(-1.50BD)"),
        (dt.date(2024, 1, 2), "DATE'2024-01-02'"),
        (dt.datetime(2024, 1, 2, 3, 4, 5), "TIMESTAMP'2024-01-02 03:04:05'"),
        (b"\x00\xff", "X'00ff'"),
        ("plain text_1", "'plain text_1'"),
        ("it's", "'it\\u0027s'"),
        ("${HOME}#:", "'\\u0024\\u007BHOME\\u007D\\u0023\\u003A'"),
        ("\\", "'\\u005C'"),
    ],
)
def test_literals(value: object, expected: str) -> None:
    assert literal(value) == expected


@pytest.mark.parametrize(
    ("sql", "count"),
    [
        ("select ?", 1),
        ("select '?', `a?`, \"?\" -- ?\n from t where a = ? /* ? */", 1),
        ("select 1", 0),
        ("load csv.`/a?b` where x = '?' as t; select * from t where y = ? as out;", 1),
    ],
)
def test_placeholders_outside_strings_names_and_comments(sql: str, count: int) -> None:
    assert len(placeholder_offsets(sql)) == count


def test_a_value_never_adds_syntax() -> None:
    sql = "select * from t where a = ? and b = ?"
    bound = bind(sql, placeholder_offsets(sql), ["x' or '1'='1", -1])
    assert bound == "select * from t where a = 'x\\u0027 or \\u00271\\u0027\\u003D\\u00271' and b = (-1)"
    assert placeholder_offsets(bound) == []


def test_protocol_statements_bind_as_mysql_literals() -> None:
    sql = "SELECT ? AS v"
    assert bind(sql, placeholder_offsets(sql), ["it's"], mysql=True) == "SELECT 'it''s' AS v"


def _known(name: str) -> bool:
    return name.lower() in {"autocommit", "sql_mode"}


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT @@version", Route.PROTOCOL),
        ("SELECT DATABASE(), CONNECTION_ID()", Route.PROTOCOL),
        ("SET NAMES utf8mb4", Route.PROTOCOL),
        ("SET autocommit = 1", Route.PROTOCOL),
        ("SHOW FULL COLUMNS FROM t", Route.PROTOCOL),
        ("DESCRIBE t", Route.PROTOCOL),
        ("USE session", Route.PROTOCOL),
        ("KILL QUERY 12", Route.PROTOCOL),
        ("SELECT table_name FROM information_schema.tables", Route.PROTOCOL),
        ("SELECT current_date()", Route.SQL),
        ("SELECT * FROM t WHERE a = 1", Route.SQL),
        ("WITH a AS (SELECT 1) SELECT * FROM a", Route.SQL),
        ("select 1 as a", Route.PROTOCOL),
        ("select id as a from t", Route.SQL),
        ("select id from t as a;", Route.SCRIPT),
        ('set greeting = "hi";', Route.SCRIPT),
        ("load csv.`x.csv` as t;", Route.SCRIPT),
        ("select 1 as a as t; select * from t as u;", Route.SCRIPT),
    ],
)
def test_routes(sql: str, expected: Route) -> None:
    assert route(sql, _known) is expected
