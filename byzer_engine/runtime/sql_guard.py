"""Reads what a SQL text asks for from Spark's own parsed plan, before Spark runs it, and asks the
policy (``byzer_engine.policy``) whether it may run.

Every SQL text a script hands to Spark goes through ``SqlGuard.check`` first: ``select``, raw SQL
statements, ``set ... type="sql"``, ``!if`` conditions and the expressions of ETs such as ``!assert``.
The check is (1) the bracket nesting depth, on the text, before any parser sees it, then (2) Spark's
parser (``sessionState.sqlParser.parsePlan``): the plan's JSON gives the class of every plan and
expression node, the functions called, file references (``parquet.`path` ``), ``LOCATION`` and
path options; the few commands whose JSON leaves fields out (``SET``, ``ADD FILE``, ``INSERT
OVERWRITE DIRECTORY``, ``CREATE TEMPORARY VIEW ... USING``, ``CREATE DATABASE``) are read through
the JVM objects themselves. Paths the policy resolves to another place (relative paths into the
owner's home) are written back into the SQL's string and backquoted tokens.

The facts of a text do not depend on its owner, so they are cached by text; the policy decision is
made for every run.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from byzer_engine.lang.errors import ByzerAuthError, ByzerError
from byzer_engine.lang.source import Source
from byzer_engine.lang.sqlcheck import nesting_beyond
from byzer_engine.lang.tokens import BACKQUOTED, PUNCT, STRING, WORD, Token, tokenize, unquote
from byzer_engine.policy import PATH_OPTION_KEYS, Policy, SqlFacts, SqlPath

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

_CACHE_SIZE = 1024
# Commands whose JSON drops the fields that matter: read from the JVM node itself.
_JVM_READ = frozenset(
    {
        "SetCommand",
        "AddFilesCommand",
        "AddArchivesCommand",
        "AddJarsCommand",
        "InsertIntoDir",
        "CreateTempViewUsing",
        "CreateNamespace",
    }
)
# Words after which a string literal is a path (``LOCATION '...'``, ``INPATH '...'`` ...).
_PATH_WORDS = frozenset(
    {"location", "inpath", "directory", "file", "files", "jar", "jars", "archive", "archives"}
)


class SqlGuard:
    """One per engine; thread-safe."""

    def __init__(self) -> None:
        self._facts: OrderedDict[str, SqlFacts | None] = OrderedDict()
        self._sources: dict[str, bool] = {}
        self._lock = threading.Lock()

    def check(self, spark: SparkSession, sql: str, policy: Policy, resolve: Callable[[str], str]) -> str:
        """The SQL to run (paths placed in the home), or ``ByzerAuthError`` / ``ByzerError``."""
        offset = nesting_beyond(sql, policy.sql_max_depth)
        if offset is not None:
            line = sql.count("\n", 0, offset) + 1
            raise ByzerError(
                f"the SQL nests brackets or subqueries deeper than {policy.sql_max_depth} levels "
                f"(line {line} of the SQL); simplify it, or raise sql_max_depth"
            )
        facts = self.facts(spark, sql)
        if facts is None:
            return sql  # not SQL Spark can parse: Spark reports the error itself when it runs it
        rewrites = policy.check_sql(facts, resolve)
        if not rewrites:
            return sql
        rewritten, missing = rewrite_paths(sql, rewrites)
        if missing and not policy.allow_any_path:
            raise ByzerAuthError(
                f"path '{missing[0]}' in the SQL cannot be placed in your home folder: write it as a "
                "quoted path inside your home"
            )
        return rewritten

    def facts(self, spark: SparkSession, sql: str) -> SqlFacts | None:
        with self._lock:
            if sql in self._facts:
                self._facts.move_to_end(sql)
                return self._facts[sql]
        jvm_session = getattr(spark, "_jsparkSession", None)
        if jvm_session is None:
            return None  # Spark Connect: no plan to read here (see docs/security.md)
        try:
            plan = jvm_session.sessionState().sqlParser().parsePlan(sql)
        except Exception:
            facts = None
        else:
            facts = self._read_plan(spark, plan)
        with self._lock:
            self._facts[sql] = facts
            while len(self._facts) > _CACHE_SIZE:
                self._facts.popitem(last=False)
        return facts

    def _is_source(self, spark: SparkSession, name: str) -> bool:
        """Whether Spark would read ``name.`x` `` as a file of data source ``name`` (``ResolveSQLOnFile``)."""
        with self._lock:
            known = self._sources.get(name.lower())
        if known is not None:
            return known
        jvm: Any = spark._jvm  # type: ignore[attr-defined]
        try:
            conf = spark._jsparkSession.sessionState().conf()  # type: ignore[attr-defined]
            jvm.org.apache.spark.sql.execution.datasources.DataSource.lookupDataSource(name, conf)
            found = True
        except Exception:
            found = False
        with self._lock:
            self._sources[name.lower()] = found
        return found

    def _read_plan(self, spark: SparkSession, plan: Any) -> SqlFacts:
        nodes: set[str] = set()
        functions: set[str] = set()
        paths: list[SqlPath] = []
        confs: list[str] = []
        urls: list[str] = []
        for node in _json_nodes(json.loads(plan.toJSON())):
            name = str(node["class"]).rsplit(".", 1)[-1]
            nodes.add(name)
            if name == "UnresolvedFunction":
                parts = _name_parts(node.get("nameParts"))
                if parts:
                    functions.add(parts[-1].lower())
            elif name == "UnresolvedRelation":
                parts = _name_parts(node.get("multipartIdentifier"), max_parts=2)
                if len(parts) == 2 and self._is_source(spark, parts[0]):
                    paths.append(SqlPath(f"SQL file reference {parts[0]}.`{parts[1]}`", parts[1]))
            elif name == "OptionList":
                for key, value in _option_list(node):
                    _add_option(key, value, paths, urls)
            elif name == "LoadData" and isinstance(node.get("path"), str):
                paths.append(SqlPath("LOAD DATA INPATH", node["path"]))
            location = node.get("location")
            if isinstance(location, str) and location:
                paths.append(SqlPath("LOCATION", location))
        if nodes & _JVM_READ:
            for jvm_node in _jvm_plan_nodes(plan):
                _read_jvm_node(jvm_node, paths, confs, urls)
        return SqlFacts(frozenset(nodes), frozenset(functions), tuple(paths), tuple(confs), tuple(urls))


def _json_nodes(value: Any) -> Iterator[dict[str, Any]]:
    """Every tree node (a dict with a ``class``) anywhere in a plan's JSON."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            if "class" in item:
                yield item
            stack.extend(v for v in item.values() if isinstance(v, (list, dict)))


def _name_parts(text: Any, max_parts: int | None = None) -> list[str]:
    """``"[a, b]"`` (how the JSON writes a ``Seq[String]``) as its parts; with ``max_parts`` the last
    part keeps any ``", "`` inside it."""
    if not isinstance(text, str) or not text.startswith("[") or not text.endswith("]"):
        return []
    inner = text[1:-1]
    if not inner:
        return []
    return inner.split(", ", max_parts - 1) if max_parts else inner.split(", ")


def _option_list(node: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for option in node.get("options") or []:
        if not isinstance(option, dict):
            continue
        key, value = option.get("_1"), option.get("_2")
        if isinstance(value, list) and value and isinstance(value[0], dict):
            value = value[0].get("value")
        if isinstance(key, str) and isinstance(value, str):
            yield key, value


def _add_option(key: str, value: str, paths: list[SqlPath], urls: list[str]) -> None:
    lowered = key.lower()
    if lowered == "url" and value.lower().startswith("jdbc:"):
        urls.append(value)
    elif lowered in PATH_OPTION_KEYS:
        paths.append(SqlPath(f"OPTIONS {key}", value, is_list=lowered == "paths"))


def _jvm_plan_nodes(plan: Any, limit: int = 10_000) -> Iterator[Any]:
    """The logical plan nodes (not expressions) of a JVM plan, root first."""
    stack = [plan]
    seen = 0
    while stack and seen < limit:
        node = stack.pop()
        seen += 1
        yield node
        children = node.children()
        stack.extend(children.apply(i) for i in range(children.size()))


def _scala_strings(seq: Any) -> list[str]:
    return [str(seq.apply(i)) for i in range(seq.size())]


def _scala_map(mapping: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    iterator = mapping.iterator()
    while iterator.hasNext():
        pair = iterator.next()
        out[str(pair._1())] = str(pair._2())
    return out


def _read_jvm_node(node: Any, paths: list[SqlPath], confs: list[str], urls: list[str]) -> None:
    name = str(node.getClass().getSimpleName())
    if name == "SetCommand":
        kv = node.kv()
        if kv.isDefined() and kv.get()._2().isDefined():
            confs.append(str(kv.get()._1()))
    elif name in ("AddFilesCommand", "AddArchivesCommand", "AddJarsCommand"):
        site = {"AddFilesCommand": "ADD FILE", "AddArchivesCommand": "ADD ARCHIVE"}.get(name, "ADD JAR")
        paths.extend(SqlPath(site, p) for p in _scala_strings(node.paths()))
    elif name == "InsertIntoDir":
        uri = node.storage().locationUri()
        if uri.isDefined():
            # LOCAL directories come qualified (``file:/abs``): the file system path is what counts.
            location = uri.get()
            text = location.getPath() if str(location.getScheme()) == "file" else location.toString()
            paths.append(SqlPath("INSERT OVERWRITE DIRECTORY", str(text)))
    elif name == "CreateTempViewUsing":
        for key, value in _scala_map(node.options()).items():
            _add_option(key, value, paths, urls)
    elif name == "CreateNamespace":
        location = _scala_map(node.properties()).get("location")
        if location:
            paths.append(SqlPath("LOCATION", location))


def rewrite_paths(sql: str, rewrites: dict[str, str]) -> tuple[str, list[str]]:
    """``sql`` with each path of ``rewrites`` replaced where it is written as a path: a backquoted
    name after ``.`` (``parquet.`x` ``), or a string after ``LOCATION``, ``INPATH``, ``DIRECTORY``,
    ``ADD FILE``/``JAR``, or an option key (``path 'x'``, ``path = 'x'``, ``url 'x'``). Returns the
    text and the paths it found nowhere to replace."""
    try:
        tokens = tokenize(Source(sql, "<sql>"))
    except ByzerError:
        return sql, list(rewrites)
    pieces: list[str] = []
    done: set[str] = set()
    last = 0
    for index, token in enumerate(tokens):
        if token.kind not in (STRING, BACKQUOTED):
            continue
        value = unquote(token)
        if value not in rewrites or not _is_path_place(tokens, index):
            continue
        pieces.append(sql[last : token.start])
        pieces.append(_quoted(rewrites[value], token.text[0]))
        last = token.end
        done.add(value)
    pieces.append(sql[last:])
    return "".join(pieces), [p for p in rewrites if p not in done]


def _is_path_place(tokens: list[Token], index: int) -> bool:
    token = tokens[index]
    before = tokens[index - 1] if index > 0 else None
    if token.kind == BACKQUOTED:
        return before is not None and before.kind == PUNCT and before.text == "."
    if before is None:
        return False
    if before.kind == PUNCT and before.text == "=" and index > 1:
        before = tokens[index - 2]
    if before.kind in (WORD, STRING, BACKQUOTED):
        word = unquote(before).lower()
        return word in _PATH_WORDS or word in PATH_OPTION_KEYS or word == "url"
    return False


def _quoted(value: str, quote: str) -> str:
    if quote == "`":
        return "`" + value.replace("`", "``") + "`"
    return quote + value.replace("\\", "\\\\").replace(quote, "\\" + quote) + quote
