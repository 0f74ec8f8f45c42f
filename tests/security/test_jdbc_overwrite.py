"""A JDBC ``save overwrite`` whose query fails leaves the table's old rows (issue 9, point 6).

The rows are written into a staging table first and moved into place in one transaction, so a
query that fails while Spark writes leaves the target as it was, on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

import importlib.util
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime import Engine

REPO = Path(__file__).resolve().parents[2]

FAILING = (
    "select id, case when id = 3 then raise_error('boom') else 'new' end as name from range(1, 6) as broken;"
)


def _pg_helper() -> Any:
    path = REPO / "scripts" / "pg_test_server.py"
    spec = importlib.util.spec_from_file_location("pg_test_server_security", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def pg_server() -> Iterator[Any]:
    server = _pg_helper().start_postgres()
    try:
        server.execute("CREATE TABLE kept (id bigint PRIMARY KEY, name text)")
        server.execute("INSERT INTO kept VALUES (1, 'old'), (2, 'old')")
        yield server
    finally:
        server.stop()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    path = tmp_path / "kept.db"
    with sqlite3.connect(path) as connection:
        connection.executescript(
            "CREATE TABLE kept (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO kept VALUES (1, 'old'), (2, 'old');"
        )
    return f"jdbc:sqlite:{path}"


def _rows(engine: Engine, connect: str, owner: str) -> list[tuple[Any, ...]]:
    result = engine.run_script(
        f"{connect}\nload jdbc.`db.kept` as k; select id, name from k order by id as t;", owner=owner
    )
    return [tuple(row.values()) for row in result.rows]


def _check_overwrite_keeps_rows(engine: Engine, connect: str, owner: str) -> None:
    before = _rows(engine, connect, owner)
    assert before == [(1, "old"), (2, "old")]
    with pytest.raises(ByzerError, match="boom"):
        engine.run_script(f"{connect}\n{FAILING}\nsave overwrite broken as jdbc.`db.kept`;", owner=owner)
    assert _rows(engine, connect, owner) == before
    # A successful overwrite replaces the rows.
    engine.run_script(
        f"{connect}\nselect id, 'new' as name from range(5, 7) as fresh;\nsave overwrite fresh as jdbc.`db.kept`;",
        owner=owner,
    )
    assert _rows(engine, connect, owner) == [(5, "new"), (6, "new")]


def test_sqlite_overwrite_with_failing_query_keeps_old_rows(engine: Engine, sqlite_url: str) -> None:
    connect = f'connect jdbc where url="{sqlite_url}" and driver="org.sqlite.JDBC" as db;'
    _check_overwrite_keeps_rows(engine, connect, "jdbc_overwrite_sqlite")


def test_postgres_overwrite_with_failing_query_keeps_old_rows(engine: Engine, pg_server: Any) -> None:
    connect = (
        f'connect jdbc where url="{pg_server.jdbc_url}" and user="{pg_server.user}"'
        f' and password="{pg_server.password}" as db;'
    )
    _check_overwrite_keeps_rows(engine, connect, "jdbc_overwrite_pg")


def test_sqlite_failing_append_adds_nothing(engine: Engine, sqlite_url: str) -> None:
    connect = f'connect jdbc where url="{sqlite_url}" and driver="org.sqlite.JDBC" as db;'
    with pytest.raises(ByzerError, match="boom"):
        engine.run_script(
            f'{connect}\n{FAILING}\nsave append broken as jdbc.`db.kept` where idCol="id";',
            owner="jdbc_append_sqlite",
        )
    assert _rows(engine, connect, "jdbc_append_sqlite") == [(1, "old"), (2, "old")]
