"""Fixtures for runtime tests: a real PostgreSQL server and a SQLite file, both reached through JDBC."""

from __future__ import annotations

import importlib.util
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]


def _pg_helper() -> ModuleType:
    path = REPO / "scripts" / "pg_test_server.py"
    spec = importlib.util.spec_from_file_location("pg_test_server", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def postgres() -> Iterator[object]:
    """A PostgreSQL server on a free loopback port with a ``byzer`` database holding ``customers``."""
    server = _pg_helper().start_postgres()
    try:
        server.execute(
            "CREATE TABLE customers (id integer PRIMARY KEY, name text NOT NULL, city text, credit numeric(10,2))",
            "INSERT INTO customers VALUES (1, 'alice', 'paris', 120.50), (2, 'bob', 'rome', 80.00),"
            " (3, 'carol', 'paris', 42.25), (4, 'dave', NULL, 0)",
            "CREATE TABLE visits (customer_id integer, city text, n integer)",
        )
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def sqlite_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with ``products`` and an empty ``orders`` table."""
    path = tmp_path_factory.mktemp("sqlite") / "shop.db"
    with sqlite3.connect(path) as connection:
        connection.executescript(
            """
            CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL);
            INSERT INTO products VALUES (1, 'pen', 1.5), (2, 'notebook', 3.25), (3, 'bag', 24.0),
                                        (4, 'stapler', 8.75), (5, 'ruler', 0.99), (6, 'ink', 4.5);
            CREATE TABLE orders (product_id INTEGER, quantity INTEGER);
            """
        )
    return path
