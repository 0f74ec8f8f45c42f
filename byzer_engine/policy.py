"""The engine's one security policy: what may run code, and where an owner's paths may lead.

Every place that runs a process or user code, or touches a path, asks this object; nothing else
decides. A refusal is a ``ByzerAuthError`` (HTTP 403) that names the construct and the switch that
would allow it.

The switches come from ``EngineConfig`` (flags > ``BYZER_*`` > config file > defaults):

| switch | governs | ``byzer run`` | ``byzer serve`` |
|---|---|---|---|
| ``allow_shell`` | ``set ... type="shell"``, SQL that starts a process or calls into the JVM (``TRANSFORM ... USING``, ``reflect``, ``java_method``, ``try_reflect``) | off | off |
| ``allow_code`` | user code compiled or run by the engine: ``ScriptUDF`` (python, scala, java), Byzer-python (``run command as Ray``, ``!ray``), SQL that loads code (``ADD JAR``, ``CREATE FUNCTION``) | on | off |
| ``allow_any_path`` | paths outside the owner's home (in ``load``/``save``, SQL, options, includes, JDBC file URLs, model paths); Spark confs off the allow-list | on | off |

With every switch off, dynamic SQL (``EXECUTE IMMEDIATE``) is refused too: its text is not known
until it runs. ``sql_max_depth`` bounds the bracket nesting of any SQL before Spark parses it.
SQL is inspected in Spark's own parsed plan (``runtime/sql_guard.py`` gathers ``SqlFacts``); the
rules about what those facts may contain live here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from byzer_engine.errors import ByzerAuthError, ByzerError


@dataclass(frozen=True)
class Construct:
    """A kind of thing a script can ask for that the policy governs, and the switch that allows it."""

    name: str
    switch: str

    @property
    def flag(self) -> str:
        """The ``byzer serve`` flag of this construct's switch."""
        return "--" + self.switch.replace("_", "-")


SHELL = Construct("shell", "allow_shell")
SQL_PROCESS = Construct("sql-process", "allow_shell")
SCRIPT_UDF = Construct("script-udf", "allow_code")
PYTHON = Construct("python", "allow_code")
SQL_REFLECTION = Construct("sql-reflection", "allow_shell")
SQL_CODE = Construct("sql-code", "allow_code")
SPARK_CONF = Construct("spark-conf", "allow_any_path")

# The default of ``sql_max_depth``: brackets nested deeper than this are refused before Spark's
# parser sees them (its time grows steeply with depth; a few hundred levels overflow its stack).
DEFAULT_SQL_MAX_DEPTH = 64


@dataclass(frozen=True)
class Policy:
    allow_shell: bool = False
    allow_code: bool = False
    allow_any_path: bool = True
    sql_max_depth: int = DEFAULT_SQL_MAX_DEPTH

    @classmethod
    def from_config(cls, config: Any) -> Policy:
        """The policy of an ``EngineConfig`` (anything with the switch attributes)."""
        return cls(
            allow_shell=bool(getattr(config, "allow_shell", False)),
            allow_code=bool(getattr(config, "allow_code", False)),
            allow_any_path=bool(getattr(config, "allow_any_path", True)),
            sql_max_depth=int(getattr(config, "sql_max_depth", DEFAULT_SQL_MAX_DEPTH)),
        )

    def allows(self, construct: Construct) -> bool:
        return bool(getattr(self, construct.switch))

    def require(self, construct: Construct, what: str) -> None:
        """Raises ``ByzerAuthError`` naming ``what`` unless the policy allows ``construct``."""
        if not self.allows(construct):
            raise ByzerAuthError(
                f"{what} is not allowed by this engine ({construct.switch} is off; start it with {construct.flag})"
            )

    # -- SQL -----------------------------------------------------------------------------------------
    def check_sql(self, facts: SqlFacts, resolve: Callable[[str], str]) -> dict[str, str]:
        """Refuses what this policy does not allow in one SQL statement (described by ``facts``).

        Returns the path rewrites the statement needs: each path as written -> the path it resolves
        to through ``resolve`` (the owner's ``PathResolver``), for paths that change.
        """
        for node in sorted(facts.nodes):
            rule = SQL_NODE_RULES.get(node)
            if rule is not None:
                self.require(rule[0], rule[1])
        for function in sorted(facts.functions):
            rule = SQL_FUNCTION_RULES.get(function)
            if rule is not None:
                self.require(rule[0], rule[1])
        if facts.nodes & DYNAMIC_SQL_NODES and not (
            self.allow_shell and self.allow_code and self.allow_any_path
        ):
            raise ByzerAuthError(
                "EXECUTE IMMEDIATE (dynamic SQL) is not allowed by this engine: its SQL cannot be checked "
                "before it runs (start it with --allow-shell --allow-code --allow-any-path)"
            )
        for key in facts.confs:
            self.check_conf(key)
        rewrites: dict[str, str] = {}
        for url in facts.jdbc_urls:
            checked = self.jdbc_options({"url": url}, resolve)["url"]
            if checked != url:
                rewrites[url] = checked
        for item in facts.paths:
            for path in _split_path_list(item.path) if item.is_list else [item.path]:
                resolved = self.resolve_in(item.site, path, resolve)
                if resolved != path:
                    rewrites[path] = resolved
        return rewrites

    @staticmethod
    def resolve_in(site: str, path: str, resolve: Callable[[str], str]) -> str:
        """``resolve(path)``, with a refusal that names where the path was written."""
        try:
            return resolve(path)
        except ByzerAuthError as error:
            raise ByzerAuthError(f"{site}: {error.message}") from None

    def check_conf(self, key: str) -> None:
        """Refuses a Spark conf that is not on the allow-list, unless any path is allowed."""
        if self.allow_any_path or conf_allowed(key):
            return
        raise ByzerAuthError(
            f"setting the Spark conf '{key}' is not allowed by this engine: only the confs on the "
            "allow-list may be set (see docs/security.md; allow_any_path is off)"
        )

    # -- options and URLs ----------------------------------------------------------------------------
    def path_options(self, options: Mapping[str, str], resolve: Callable[[str], str]) -> dict[str, str]:
        """``options`` with every path-valued option (``path``, ``paths``, ``sourcePath`` ...) resolved."""
        out = dict(options)
        for key, value in options.items():
            if key.lower() not in PATH_OPTION_KEYS or not value.strip():
                continue
            site = f"option {key}"
            if key.lower() == "paths" and value.strip().startswith("["):
                try:
                    items = json.loads(value)
                except ValueError as error:
                    raise ByzerError(f"option {key} must be a JSON list or comma-separated paths") from error
                out[key] = json.dumps([self.resolve_in(site, str(item), resolve) for item in items])
            elif key.lower() == "paths":
                out[key] = ",".join(self.resolve_in(site, p, resolve) for p in _split_path_list(value))
            else:
                out[key] = self.resolve_in(site, value, resolve)
        return out

    def jdbc_options(self, options: Mapping[str, str], resolve: Callable[[str], str]) -> dict[str, str]:
        """JDBC options with the URL checked (``jdbc_url``). Databases embedded in the server's
        process run their SQL there: H2, Derby, HSQLDB and DuckDB can call Java or read any file from
        SQL, so they need ``allow_code``; so do statements run on connect (``sessionInitStatement``,
        ``prepareQuery``) against any embedded database (SQLite's ``ATTACH`` opens any file)."""
        out = dict(options)
        url = out.get("url", "")
        out["url"] = self.jdbc_url(url, resolve)
        engine = _embedded_database(url)
        if engine is None:
            return out
        if engine != "sqlite":
            self.require(SQL_CODE, f"an embedded {engine} database (its SQL runs in the server's process)")
        for key in out:
            if key.lower() in ("sessioninitstatement", "preparequery"):
                self.require(SQL_CODE, f"the JDBC option {key} on an embedded database")
        return out

    def jdbc_url(self, url: str, resolve: Callable[[str], str]) -> str:
        """A JDBC URL whose database is a local file (SQLite, H2, Derby, HSQLDB, DuckDB) resolved in
        the owner's home; network URLs are returned as written."""
        if url.lower().startswith("jdbc:h2:") and "init=" in url.lower():
            self.require(SQL_CODE, "an H2 JDBC URL with INIT (it runs SQL and Java code in the driver)")
        for pattern in _FILE_JDBC_URLS:
            match = pattern.match(url)
            if match is None:
                continue
            path = match.group("path")
            if not path or path.lower() in _IN_MEMORY_DATABASES or path.lower().startswith("memory:"):
                return url
            resolved = self.resolve_in("JDBC URL", path, resolve)
            return url[: match.start("path")] + resolved + url[match.end("path") :]
        return url


@dataclass(frozen=True)
class SqlPath:
    """A file path written in SQL, and where (``LOCATION``, ``ADD FILE``, ``parquet.`path` ``...)."""

    site: str
    path: str
    # A comma-separated list (the ``paths`` option).
    is_list: bool = False


@dataclass(frozen=True)
class SqlFacts:
    """What one SQL statement asks for, read from Spark's parsed plan: the simple class names of its
    plan and expression nodes, the functions it calls (lower case, unqualified), the file paths it
    names and the confs it sets."""

    nodes: frozenset[str] = frozenset()
    functions: frozenset[str] = frozenset()
    paths: tuple[SqlPath, ...] = ()
    confs: tuple[str, ...] = field(default=())
    # JDBC URLs in ``OPTIONS (url ...)`` of ``USING jdbc`` tables and views.
    jdbc_urls: tuple[str, ...] = ()


# Plan nodes (Spark's parsed-plan class names) the policy governs.
SQL_NODE_RULES: dict[str, tuple[Construct, str]] = {
    "ScriptTransformation": (SQL_PROCESS, "TRANSFORM ... USING (a script transform) in SQL"),
    "AddJarsCommand": (SQL_CODE, "ADD JAR in SQL"),
    "CreateFunction": (SQL_CODE, "CREATE FUNCTION in SQL"),
    "CreateFunctionCommand": (SQL_CODE, "CREATE FUNCTION in SQL"),
    "CreateUserDefinedFunction": (SQL_CODE, "CREATE FUNCTION in SQL"),
}
# Functions that call into the JVM by reflection.
SQL_FUNCTION_RULES: dict[str, tuple[Construct, str]] = {
    name: (SQL_REFLECTION, f"the SQL function {name} (Java reflection)")
    for name in ("reflect", "java_method", "try_reflect")
}
DYNAMIC_SQL_NODES = frozenset(
    {"UnresolvedExecuteImmediate", "ExecuteImmediateQuery", "ExecuteImmediateCommands"}
)

# Options whose value is a file path (compared in lower case), wherever options are given.
PATH_OPTION_KEYS = frozenset(
    {"path", "paths", "sourcepath", "basepath", "location", "checkpointlocation", "localmodeldir"}
)

# The Spark confs an owner may set with ``set ... where type="conf"`` or SQL ``SET k=v`` while
# ``allow_any_path`` is off: plain tuning and formatting settings. Everything else is refused; in
# particular ``spark.sql.legacy.*``, ``spark.sql.warehouse.dir``, ``spark.sql.hive.*``,
# ``spark.sql.catalog.*``, ``spark.hadoop.*``, ``spark.sql.runSQLOnFiles`` and any non-Spark key
# (Spark copies session confs into the Hadoop configuration, so ``fs.*`` would reach the file systems).
CONF_ALLOW_LIST = frozenset(
    {
        "spark.sql.shuffle.partitions",
        "spark.sql.session.timeZone",
        "spark.sql.ansi.enabled",
        "spark.sql.caseSensitive",
        "spark.sql.crossJoin.enabled",
        "spark.sql.autoBroadcastJoinThreshold",
        "spark.sql.broadcastTimeout",
        "spark.sql.files.maxPartitionBytes",
        "spark.sql.files.openCostInBytes",
        "spark.sql.files.maxRecordsPerFile",
        "spark.sql.files.ignoreCorruptFiles",
        "spark.sql.files.ignoreMissingFiles",
        "spark.sql.parquet.compression.codec",
        "spark.sql.orc.compression.codec",
        "spark.sql.sources.partitionOverwriteMode",
        "spark.sql.datetime.java8API.enabled",
        "spark.sql.legacy.timeParserPolicy",
        "spark.sql.mapKeyDedupPolicy",
        "spark.sql.storeAssignmentPolicy",
        "spark.sql.jsonGenerator.ignoreNullFields",
        "spark.sql.execution.arrow.pyspark.enabled",
        "spark.sql.execution.arrow.maxRecordsPerBatch",
        "spark.sql.repl.eagerEval.enabled",
        "spark.sql.repl.eagerEval.maxNumRows",
        "spark.sql.pivotMaxValues",
        "spark.sql.maxPlanStringLength",
    }
)
CONF_ALLOW_PREFIXES = ("spark.sql.adaptive.", "spark.sql.cbo.")


def conf_allowed(key: str) -> bool:
    """Whether ``key`` is on the allow-list (Spark conf keys are case-sensitive)."""
    key = key.strip()
    return key in CONF_ALLOW_LIST or (key.startswith(CONF_ALLOW_PREFIXES) and ".." not in key)


def _split_path_list(value: str) -> list[str]:
    return [p.strip() for p in value.split(",") if p.strip()]


# JDBC URLs whose database is a file: the ``path`` group is the file (up to options after ``;`` / ``?``).
_FILE_JDBC_URLS = tuple(
    re.compile(pattern, re.I)
    for pattern in (
        r"^jdbc:sqlite:(?:file:)?(?P<path>[^?]*)",
        r"^jdbc:duckdb:(?P<path>[^?]*)",
        r"^jdbc:h2:(?!mem:|tcp:|ssl:)(?:file:|split:|nio:|nioMapped:|async:|zip:)?(?P<path>[^;]*)",
        r"^jdbc:derby:(?!//)(?:directory:)?(?P<path>[^;]*)",
        r"^jdbc:hsqldb:(?:file:)(?P<path>[^;]*)",
    )
)
_IN_MEMORY_DATABASES = frozenset({":memory:", "memory"})
# Embedded databases: URL prefix (lower case) -> name, unless the URL names a server.
_EMBEDDED = {
    "jdbc:sqlite:": "sqlite",
    "jdbc:duckdb:": "duckdb",
    "jdbc:h2:": "h2",
    "jdbc:derby:": "derby",
    "jdbc:hsqldb:": "hsqldb",
}
_REMOTE = re.compile(r"^jdbc:(?:h2:(?:tcp|ssl):|derby://|hsqldb:(?:hsqls?|https?)://)", re.I)


def _embedded_database(url: str) -> str | None:
    lowered = url.lower()
    if _REMOTE.match(lowered):
        return None
    for prefix, name in _EMBEDDED.items():
        if lowered.startswith(prefix):
            return name
    return None


# -- tokens: what one token may do ---------------------------------------------------------------
@dataclass(frozen=True)
class Principal:
    """Who is calling: the admin (any owner), or the holder of a token for some owners."""

    owners: frozenset[str] | None  # None: any owner (admin)

    @property
    def is_admin(self) -> bool:
        return self.owners is None

    def may_act_as(self, owner: str) -> bool:
        return self.owners is None or owner in self.owners

    def require_owner(self, owner: str) -> None:
        if not self.may_act_as(owner):
            raise ByzerAuthError(f"this token may not act as owner '{owner}'")


ADMIN = Principal(None)


def _same_token(presented: str, expected: str) -> bool:
    import hmac

    return hmac.compare_digest(presented.encode(), expected.encode())


def token_principal(
    admin_token: str | None, tokens: Mapping[str, list[str]], presented: str
) -> Principal | None:
    """What ``presented`` may do: the server token (``--token``) is the admin, a per-owner token
    (``tokens`` / ``--tokens-file``) acts as the owners it lists ("*": any); None for no known token.
    Every entry is compared (no early exit on a match)."""
    found: Principal | None = ADMIN if admin_token and _same_token(presented, admin_token) else None
    for token, owners in tokens.items():
        if _same_token(presented, token) and found is None:
            found = ADMIN if "*" in owners else Principal(frozenset(owners))
    return found


def tokens_for_owner(config: Any) -> Callable[[str], list[str] | None]:
    """For a login protocol that checks a password against candidates (MySQL's scramble): the
    tokens that may act as an owner; None when the engine has no token at all (open, loopback only)."""
    admin_token = getattr(config, "token", None)
    tokens: Mapping[str, list[str]] = getattr(config, "tokens", None) or {}

    def candidates(owner: str) -> list[str] | None:
        if not admin_token and not tokens:
            return None
        found = [admin_token] if admin_token else []
        found += [t for t, owners in tokens.items() if "*" in owners or owner in owners]
        return found

    return candidates


__all__ = [
    "ADMIN",
    "CONF_ALLOW_LIST",
    "CONF_ALLOW_PREFIXES",
    "PATH_OPTION_KEYS",
    "PYTHON",
    "SCRIPT_UDF",
    "SHELL",
    "SPARK_CONF",
    "SQL_CODE",
    "SQL_PROCESS",
    "SQL_REFLECTION",
    "Construct",
    "Policy",
    "Principal",
    "SqlFacts",
    "SqlPath",
    "token_principal",
    "tokens_for_owner",
]
