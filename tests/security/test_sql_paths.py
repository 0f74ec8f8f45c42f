"""SQL reaches no file outside the owner's home: file references, LOCATION, path options, INSERT
OVERWRITE DIRECTORY, JDBC file URLs, and the path options of ``load``/``save``. Relative paths in SQL
live in the home, as they do in ``load``."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from security_checks import assert_refused, run


@pytest.mark.parametrize(
    "script",
    [
        "select * from text.`/etc/passwd` as t;",
        "select * from csv.`file:///etc/passwd` as t;",
        "select * from parquet.`../victim/data` as t;",
        "select * from (select * from json.`/etc`) as t;",
        "select 1 as a as t;\nselect * from t where exists (select * from text.`/etc/hostname`) as u;",
        "select * from `org.apache.spark.sql.execution.datasources.text.TextFileFormat`.`/etc/passwd` as t;",
        "create table escaped_1 using parquet location '/tmp/byzer-escaped-1' as select 1 as a;",
        "create table escaped_2 using parquet options (path '/tmp/byzer-escaped-2') as select 1 as a;",
        "create temporary view passwd using text options (path '/etc/passwd');",
        "create temporary view passwd2 using text options ('path' = '/etc/passwd');",
        "insert overwrite directory '/tmp/byzer-escaped-3' using parquet select 1 as a;",
        "insert overwrite local directory '/tmp/byzer-escaped-4' using csv select 1 as a;",
        "create temporary view db using jdbc options (url 'jdbc:sqlite:/tmp/byzer-escaped.db', dbtable 'x');",
        'load csv.`` where path="/etc/passwd" as t;',
        'load text.`x` where paths="/etc/passwd" as t;',
        'select 1 as a as t;\nsave overwrite t as json.`out` where path="/tmp/byzer-escaped-5";',
        'load jdbc.`x` where url="jdbc:sqlite:/tmp/byzer-escaped.db" and dbtable="x" as t;',
        'load jdbc.`x` where url="jdbc:h2:/tmp/byzer-escaped-h2" and dbtable="x" as t;',
    ],
)
def test_sql_paths_outside_the_home_are_refused(http: httpx.Client, alive: None, script: str) -> None:
    assert_refused(run(http, script), "outside your home")


def test_nothing_was_written_outside_the_home() -> None:
    for index in range(1, 6):
        assert not Path(f"/tmp/byzer-escaped-{index}").exists()
    assert not Path("/tmp/byzer-escaped.db").exists()


def test_relative_sql_paths_live_in_the_home(http: httpx.Client, data_root: Path) -> None:
    script = (
        "select 'in the home' as v as t;\n"
        "save overwrite t as parquet.`sql_paths/p`;\n"
        "select * from parquet.`sql_paths/p` as back;"
    )
    response = run(http, script, owner="alice")
    assert response.status_code == 200, response.text
    assert response.json() == [{"v": "in the home"}]
    create = "create table alice_located using parquet location 'sql_paths/table' as select 7 as n;"
    response = run(http, create, owner="alice")
    assert response.status_code == 200, response.text
    assert list((data_root / "alice" / "sql_paths" / "table").glob("*.parquet"))
    home = data_root / "alice"
    absolute = f"select * from parquet.`{home}/sql_paths/p` as t;"
    assert run(http, absolute, owner="alice").json() == [{"v": "in the home"}]
    run(http, "drop table if exists alice_located;", owner="alice")
