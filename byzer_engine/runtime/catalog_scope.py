"""Owners' catalog scope: with owners isolated, each owner has a database of its own and no other.

Temporary views are per owner already (one Spark session each); catalog tables and global temporary
views are shared by every session of the JVM. So when ``EngineConfig.isolate_owners`` is on, an
owner's session starts in its own database (``owner_<name>``, stored under its home), and every SQL
text it sends to Spark is checked first, on sqlglot's tokens (not on the raw text, so a name in a
string literal or a comment is no reference):

- a name of another database (any that exists, ``default`` and ``global_temp`` included), used as a
  qualifier (``db.t``) or after ``USE`` / ``IN`` / ``FROM`` / ``DATABASE`` ..., is refused;
- ``GLOBAL TEMPORARY`` views are refused (they would be visible to every owner);
- ``CREATE`` / ``DROP`` / ``ALTER`` of a database, schema or namespace is refused (the engine owns them).

A refusal is a ``ByzerAuthError`` (HTTP 403) naming what was refused.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from typing import TYPE_CHECKING, Any

from pyspark.sql import DataFrame, SparkSession
from sqlglot.dialects.spark import Spark
from sqlglot.errors import TokenError
from sqlglot.tokens import Token, TokenType

from byzer_engine.lang.errors import ByzerAuthError

if TYPE_CHECKING:
    from collections.abc import Callable

_TOKENIZER = Spark().tokenizer_class
_UNSAFE_NAME = re.compile(r"[^a-z0-9_]")
_QUALIFIER_AFTER = {"use", "in", "from", "database", "schema", "namespace", "databases", "schemas"}
_NAMESPACE_WORDS = {"database", "schema", "namespace", "databases", "schemas", "namespaces"}
_DDL = {TokenType.CREATE, TokenType.DROP, TokenType.ALTER}
_DATABASES_TTL_S = 5.0


def owner_database(owner: str) -> str:
    """The catalog database of ``owner``: ``owner_<name>``, with a hash when the name had to change."""
    name = _UNSAFE_NAME.sub("_", owner.lower())
    if name != owner:
        name += "_" + hashlib.sha256(owner.encode()).hexdigest()[:8]
    return f"owner_{name}"


def _word(token: Token) -> str | None:
    if token.token_type in (TokenType.STRING, TokenType.NUMBER, TokenType.NATIONAL_STRING):
        return None
    return token.text.lower()


def check_sql(sql: str, own_database: str, databases: set[str]) -> None:
    """Raises ``ByzerAuthError`` when ``sql`` reaches outside ``own_database`` (see the module doc)."""
    try:
        tokens = _TOKENIZER().tokenize(sql)
    except TokenError as exc:
        raise ByzerAuthError(
            f"this SQL could not be checked against the owner's catalog scope: {exc}"
        ) from None
    others = {d.lower() for d in databases} | {"default", "global_temp"}
    others.discard(own_database.lower())
    words = [_word(t) for t in tokens]
    for index, token in enumerate(tokens):
        word = words[index]
        if word is None:
            continue
        before = words[index - 1] if index > 0 else None
        after = tokens[index + 1] if index + 1 < len(tokens) else None
        if word in others and (
            (after is not None and after.token_type == TokenType.DOT) or before in _QUALIFIER_AFTER
        ):
            raise ByzerAuthError(f"database '{token.text}' is not this owner's (use '{own_database}')")
        if word == "global" and after is not None and (_word(after) or "") in {"temporary", "temp"}:
            raise ByzerAuthError("global temporary views are shared by all owners: use a temporary view")
        if token.token_type in _DDL and after is not None and (_word(after) or "") in _NAMESPACE_WORDS:
            raise ByzerAuthError(
                f"{token.text.upper()} {after.text.upper()} is not allowed: owners have one database"
            )


def check_table_name(name: str, own_database: str, databases: set[str]) -> None:
    parts = [p.strip("`").lower() for p in name.split(".")]
    if len(parts) > 1:
        database = parts[-2]
        if database != own_database.lower() and (
            database in databases or database in {"default", "global_temp"}
        ):
            raise ByzerAuthError(f"database '{database}' is not this owner's (use '{own_database}')")


class DatabaseNames:
    """The catalog's database names, listed at most every few seconds."""

    def __init__(self, list_names: Callable[[], list[str]]) -> None:
        self._list = list_names
        self._names: set[str] = set()
        self._at = 0.0
        self._lock = threading.Lock()

    def get(self) -> set[str]:
        with self._lock:
            if time.monotonic() - self._at > _DATABASES_TTL_S:
                self._names = {n.lower() for n in self._list()}
                self._at = time.monotonic()
            return set(self._names)

    def forget(self) -> None:
        with self._lock:
            self._at = 0.0


class OwnerScopedSession(SparkSession):
    """An owner's SparkSession whose ``sql`` and ``table`` stay inside the owner's database."""

    _byzer_database: str = "default"
    _byzer_databases: DatabaseNames | None = None

    def sql(self, sqlQuery: str, args: Any = None, **kwargs: Any) -> DataFrame:
        if self._byzer_databases is not None:
            check_sql(sqlQuery, self._byzer_database, self._byzer_databases.get())
        return super().sql(sqlQuery, args, **kwargs)

    def table(self, tableName: str) -> DataFrame:
        if self._byzer_databases is not None:
            check_table_name(tableName, self._byzer_database, self._byzer_databases.get())
        return super().table(tableName)


def scoped_session(root: SparkSession, owner: str, location: str, names: DatabaseNames) -> SparkSession:
    """A new session of ``root`` for ``owner``, in the owner's database (created at ``location``)."""
    database = owner_database(owner)
    if database not in names.get():
        location_sql = location.replace("\\", "\\\\").replace("'", "\\'")
        root.sql(f"CREATE DATABASE IF NOT EXISTS `{database}` LOCATION '{location_sql}'")
        names.forget()
    session = OwnerScopedSession(root.sparkContext, root._jsparkSession.newSession())  # type: ignore[attr-defined]
    session._byzer_database = database
    session._byzer_databases = names
    session.catalog.setCurrentDatabase(database)
    return session
