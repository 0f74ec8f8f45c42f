"""Helpers of the wire tests (a module of its own: test folders are not packages, so ``conftest``
is not a name a test can import reliably)."""

from __future__ import annotations

from typing import Any

import pymysql

from byzer_engine.wire import WireListener

TOKEN = "wire-token-5c2e"


def connect(wire: WireListener, owner: str = "alice", password: str = TOKEN, **kwargs: Any) -> Any:
    return pymysql.connect(
        host="127.0.0.1", port=wire.port, user=owner, password=password, autocommit=True, **kwargs
    )


def query(connection: Any, sql: str, args: Any = None) -> tuple[list[str], list[tuple[Any, ...]]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        names = [d[0] for d in cursor.description or ()]
        return names, list(cursor.fetchall())
