"""SQL reaches no file outside the owner's home: file references, LOCATION, path options, INSERT
OVERWRITE DIRECTORY, JDBC file URLs, and the path options of ``load``/``save``. Relative paths in SQL
live in the home, as they do in ``load``."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from security_checks import assert_kept_in_home, assert_refused, run


@pytest.mark.parametrize(
    "script",
    [
        "select * from csv.`file:///etc/passwd` as t;",
        "select * from parquet.`../victim/data` as t;",
        "select * from text.`file:///etc/hostname` as t;",
        "create table escaped_1 using parquet location 'file:///tmp/byzer-escaped-1' as select 1 as a;",
        "create table escaped_2 using parquet options (path '../../byzer-escaped-2') as select 1 as a;",
        "create temporary view passwd using text options (path 'file:///etc/passwd');",
        "create temporary view passwd2 using text options ('path' = '../../../../etc/passwd');",
        "insert overwrite directory 'file:///tmp/byzer-escaped-3' using parquet select 1 as a;",
        "insert overwrite local directory '../../byzer-escaped-4' using csv select 1 as a;",
        "create temporary view db using jdbc options (url 'jdbc:sqlite:../../byzer-escaped.db', dbtable 'x');",
        'load csv.`` where path="file:///etc/passwd" as t;',
        'load text.`x` where paths="../../../etc/passwd" as t;',
        'select 1 as a as t;\nsave overwrite t as json.`out` where path="file:///tmp/byzer-escaped-5";',
        'load jdbc.`x` where url="jdbc:sqlite:../../byzer-escaped.db" and dbtable="x" as t;',
        'load jdbc.`x` where url="jdbc:h2:../../byzer-escaped-h2" and dbtable="x" as t;',
    ],
)
def test_sql_paths_outside_the_home_are_refused(http: httpx.Client, alive: None, script: str) -> None:
    assert_refused(run(http, script), "your home")


@pytest.mark.parametrize(
    "script",
    [
        "select * from text.`/etc/passwd` as t;",
        "select * from (select * from json.`/etc`) as t;",
        "select 1 as a as t;\nselect * from t where exists (select * from text.`/etc/hostname`) as u;",
        "select * from `org.apache.spark.sql.execution.datasources.text.TextFileFormat`.`/etc/passwd` as t;",
        "create temporary view passwd using text options (path '/etc/passwd');",
        "create temporary view passwd2 using text options ('path' = '/etc/passwd');",
        'load csv.`` where path="/etc/passwd" as t;',
    ],
)
def test_absolute_sql_paths_are_read_in_the_home(
    http: httpx.Client, alive: None, data_root: Path, script: str
) -> None:
    assert_kept_in_home(run(http, script), str(data_root / "mallory" / "etc"))


@pytest.mark.parametrize(
    "script",
    [
        "create table rooted_1 using parquet location '/tmp/byzer-escaped-6' as select 1 as a;",
        "insert overwrite directory '/tmp/byzer-escaped-7' using parquet select 1 as a;",
    ],
)
def test_absolute_sql_paths_are_written_in_the_home(
    http: httpx.Client, alive: None, data_root: Path, script: str
) -> None:
    response = run(http, script)
    assert response.status_code == 200, response.text
    number = script.split("byzer-escaped-")[1][0]
    assert (data_root / "mallory" / "tmp" / f"byzer-escaped-{number}").exists()
    run(http, "drop table if exists rooted_1;")


def test_nothing_was_written_outside_the_home() -> None:
    for index in range(1, 8):
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
