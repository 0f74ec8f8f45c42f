"""Pure helpers of the runtime: condition literals, :name references, JDBC options, type names."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime.colon_refs import backquote, replace_refs, split_outside_quotes
from byzer_engine.runtime.ets.script_udf import byzer_type_to_ddl
from byzer_engine.runtime.executor.conditions import sql_literal
from byzer_engine.runtime.sources.base import SourceContext
from byzer_engine.runtime.sources.jdbc import infer_driver, jdbc_options


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        (None, "NULL"),
        (True, "true"),
        (3, "3"),
        (2.5, "2.5"),
        (decimal.Decimal("1.20"), "1.20BD"),
        (dt.date(2024, 1, 2), "DATE '2024-01-02'"),
        ("it's", "'it\\'s'"),
        ("a\\b", "'a\\\\b'"),
    ],
)
def test_sql_literal(value: object, literal: str) -> None:
    assert sql_literal(value) == literal


def test_colon_references_skip_strings_and_casts() -> None:
    text = """:a > 1 and ':b' = ":c" and x::int = :d and `:e` = 1"""
    assert replace_refs(text, backquote) == """`a` > 1 and ':b' = ":c" and x::int = `d` and `:e` = 1"""
    assert split_outside_quotes("select ';' as :x; :x == ';'") == ["select ';' as :x", ":x == ';'"]


def test_byzer_type_names() -> None:
    assert byzer_type_to_ddl("map(string,array(int))") == "map<string,array<int>>"
    assert byzer_type_to_ddl("decimal(10,2)") == "decimal(10,2)"
    assert byzer_type_to_ddl("array(struct(a:int))") == "array<struct<a:int>>"


def _ctx(connections: dict[str, dict[str, str]]) -> SourceContext:
    return SourceContext(
        spark=None,  # type: ignore[arg-type]
        owner="o",
        home="/tmp",
        variables={},
        connections=connections,
        config=None,
        resolve_path=str,
    )


def test_jdbc_alias_options_merge() -> None:
    ctx = _ctx({"db": {"format": "jdbc", "url": "jdbc:postgresql://h/db", "user": "u", "password": "p"}})
    merged = jdbc_options(ctx, "db.public.orders", {"fetchsize": "100", "user": "override"})
    assert merged == {
        "url": "jdbc:postgresql://h/db",
        "user": "override",
        "password": "p",
        "fetchsize": "100",
        "dbtable": "public.orders",
        "driver": "org.postgresql.Driver",
    }
    direct = jdbc_options(ctx, "db.orders", {"directQuery": "select 1"})
    assert direct["dbtable"] == "(select 1) byzer_direct_query"


def test_jdbc_needs_a_url() -> None:
    with pytest.raises(ByzerError, match="no url"):
        jdbc_options(_ctx({}), "orders", {})
    assert infer_driver("jdbc:sqlite:/x.db") == "org.sqlite.JDBC"
    assert infer_driver("jdbc:unknown:x") is None
