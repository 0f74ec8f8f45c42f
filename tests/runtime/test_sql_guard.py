"""What the SQL guard reads from Spark's parsed plan, for statements Byzer itself cannot write
(``SET``, ``ADD FILE``, ``LOAD DATA``) as well as the ones it can."""

from __future__ import annotations

import pytest

from byzer_engine.policy import SqlPath
from byzer_engine.runtime import Engine


@pytest.mark.parametrize(
    ("sql", "paths"),
    [
        ("select * from parquet.`/a, b` join text.`rel` on true", [("/a, b"), ("rel")]),
        ("select * from default.t join `x`.`y` on true", []),
        ("add file '/etc/passwd'", ["/etc/passwd"]),
        ("add archive /tmp/a.zip", ["/tmp/a.zip"]),
        ("add jar /tmp/a.jar", ["/tmp/a.jar"]),
        ("load data local inpath '/etc/passwd' into table t", ["/etc/passwd"]),
        ("insert overwrite local directory '/tmp/out' using parquet select 1", ["/tmp/out"]),
        (
            "from t insert overwrite directory '/tmp/a' using parquet select 1 "
            "insert overwrite directory '/tmp/b' using parquet select 2",
            ["/tmp/a", "/tmp/b"],
        ),
        ("create temporary view v using text options (path '/etc/passwd', other 'y')", ["/etc/passwd"]),
        ("create table t using csv options (path '/p', basePath '/q') as select 1", ["/p", "/q"]),
        ("create database d location '/tmp/db'", ["/tmp/db"]),
        ("alter table t set location '/tmp/z'", ["/tmp/z"]),
        ("alter table t add partition (a=1) location '/tmp/p'", ["/tmp/p"]),
        ("create table t2 like t location '/tmp/l'", ["/tmp/l"]),
    ],
)
def test_paths_in_sql(engine: Engine, sql: str, paths: list[str]) -> None:
    facts = engine.sql_guard.facts(engine.spark, sql)
    assert facts is not None
    assert sorted(p.path for p in facts.paths) == sorted(paths)


def test_confs_functions_and_nodes(engine: Engine) -> None:
    guard = engine.sql_guard
    facts = guard.facts(engine.spark, "set spark.sql.warehouse.dir=/tmp")
    assert facts is not None and facts.confs == ("spark.sql.warehouse.dir",)
    shown = guard.facts(engine.spark, "set spark.sql.shuffle.partitions")
    assert shown is not None and shown.confs == ()
    query = "select x from t where exists (select filter(array(1), y -> java_method('a', 'b') = y))"
    facts = guard.facts(engine.spark, query)
    assert facts is not None and {"java_method", "filter", "array"} <= facts.functions
    facts = guard.facts(engine.spark, "select transform(a) using 'cat' as (b) from t")
    assert facts is not None and "ScriptTransformation" in facts.nodes
    url = guard.facts(engine.spark, "create temporary view v using jdbc options (url 'jdbc:sqlite:x.db')")
    assert url is not None and url.jdbc_urls == ("jdbc:sqlite:x.db",)
    assert guard.facts(engine.spark, "select ((") is None


def test_file_references_are_only_data_sources(engine: Engine) -> None:
    facts = engine.sql_guard.facts(engine.spark, "select * from nosuchformat.`/etc/passwd`")
    assert facts is not None and facts.paths == ()
    facts = engine.sql_guard.facts(engine.spark, "select * from json.`/etc`")
    assert facts is not None and facts.paths == (SqlPath("SQL file reference json.`/etc`", "/etc"),)
