"""The tables a SQL body reads (``Select.reads`` / ``RawSql.reads``), CTE names excluded.

sqlglot (Spark dialect) is the reference, but a full sqlglot parse costs ~0.1 ms per query, which
dominates the parse time of large scripts. So the parser's own tokens are read first (``fast_reads``):
for the common shapes (FROM / JOIN lists of plain names, subqueries, CTEs, unions) the tables can be
read off the tokens exactly, and the fast path says so; for anything else (table functions, LATERAL
VIEW, PIVOT, a FROM inside ``extract(... from ...)``...) it declines and sqlglot parses the body. Tests
check that both agree wherever the fast path answers. Bodies sqlglot cannot parse fall back to a
best-effort token scan (``scan_reads``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import sqlglot
from sqlglot import exp

from byzer_engine.lang.tokens import BACKQUOTED, PUNCT, WORD, Token, unquote

_NAME_KINDS = (WORD, BACKQUOTED)
_SUBQUERY_STARTS = frozenset(("select", "with"))
# What may follow a relation (after its alias) for the fast path to be sure it read the FROM right.
_FOLLOWERS = frozenset(
    (
        "where", "group", "order", "limit", "having", "join", "left", "right", "inner", "full", "cross",
        "natural", "semi", "anti", "on", "using", "union", "intersect", "except", "minus", "window",
        "sort", "cluster", "distribute", "offset", "outer",
    )
)  # fmt: skip
# Words after a table that are clauses, not aliases.
_NOT_ALIASES = _FOLLOWERS | frozenset(
    ("lateral", "pivot", "unpivot", "tablesample", "as", "timestamp", "version")
)
_CLAUSE_ENDS_FROM = frozenset(
    (
        "select", "where", "group", "having", "order", "limit", "union", "intersect", "except", "minus",
        "window", "sort", "cluster", "distribute", "qualify",
    )
)  # fmt: skip
_NOT_TABLES = _FOLLOWERS | frozenset(("select", "from", "values", "lateral", "table", "with", "as"))


def _is_word(token: Token, word: str) -> bool:
    return token.kind == WORD and token.text.lower() == word


def _is_punct(token: Token, char: str) -> bool:
    return token.kind == PUNCT and token.text == char


def _matching_paren(tokens: list[Token], open_at: int) -> int | None:
    depth = 0
    for index in range(open_at, len(tokens)):
        token = tokens[index]
        if token.kind == PUNCT:
            if token.text == "(":
                depth += 1
            elif token.text == ")":
                depth -= 1
                if depth == 0:
                    return index
    return None


# -- fast path ----------------------------------------------------------------------------------
def fast_reads(tokens: list[Token]) -> tuple[str, ...] | None:
    """Tables read, from the tokens alone; None when the query has a shape this does not read exactly."""
    count = len(tokens)
    ctes = _fast_cte_names(tokens)
    if ctes is None:
        return None
    reads: list[str] = []
    subquery_parens: list[bool] = []
    in_from = [False]  # per bracket depth: inside a FROM clause (where a bare ',' adds a relation)
    index = 0
    while index < count:
        token = tokens[index]
        if token.kind == PUNCT:
            if token.text == "(":
                following = tokens[index + 1] if index + 1 < count else None
                subquery_parens.append(
                    following is not None
                    and following.kind == WORD
                    and following.text.lower() in _SUBQUERY_STARTS
                )
                in_from.append(False)
            elif token.text == ")" and subquery_parens:
                subquery_parens.pop()
                in_from.pop()
            elif token.text == "," and in_from[-1]:
                return None  # `from a join b on ..., c`: a relation list this path does not follow
            index += 1
            continue
        if token.kind == WORD:
            lowered = token.text.lower()
            if lowered in ("from", "join"):
                if subquery_parens and not subquery_parens[-1]:
                    return None  # FROM inside a function call: extract(year from ts), trim(x from s)
                in_from[-1] = True
                following_index = _fast_relations(tokens, index + 1, lowered == "from", ctes, reads)
                if following_index is None:
                    return None
                index = following_index
                continue
            if lowered in _CLAUSE_ENDS_FROM:
                in_from[-1] = False
        index += 1
    return tuple(reads)


def fast_raw_reads(verb: str, tokens: list[Token]) -> tuple[str, ...] | None:
    """Tables read by a raw SQL statement: the query of ``insert ... select`` / ``create ... as select``
    (never the target table); nothing for ``drop``, ``refresh``... None when unsure."""
    if verb not in ("insert", "create", "cache"):
        return () if verb in ("drop", "refresh", "truncate", "msck", "alter", "uncache") else None
    depth = 0
    for index, token in enumerate(tokens):
        if token.kind == PUNCT:
            depth += {"(": 1, ")": -1}.get(token.text, 0)
            continue
        if depth or token.kind != WORD:
            continue
        lowered = token.text.lower()
        if verb == "insert" and lowered in _SUBQUERY_STARTS:
            return fast_reads(tokens[index:])
        if verb == "insert" and lowered == "values":
            return ()
        if verb != "insert" and lowered == "as":
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            if (
                following is not None
                and following.kind == WORD
                and following.text.lower() in _SUBQUERY_STARTS
            ):
                return fast_reads(tokens[index + 1 :])
            return None
    return () if verb == "create" else None


def _fast_cte_names(tokens: list[Token]) -> set[str] | None:
    """Names of ``WITH name AS (...) [, name AS (...)]`` lists; None for shapes not handled here."""
    names: set[str] = set()
    count = len(tokens)
    for index, token in enumerate(tokens):
        if len(token.text) != 4 or token.kind != WORD or token.text.lower() != "with":
            continue
        position = index + 1
        while True:
            if position + 2 >= count:
                return None
            name, as_word, opener = tokens[position], tokens[position + 1], tokens[position + 2]
            if name.kind not in _NAME_KINDS or not _is_word(as_word, "as") or not _is_punct(opener, "("):
                return None  # WITH RECURSIVE, column lists: leave them to sqlglot
            names.add(unquote(name).lower())
            close = _matching_paren(tokens, position + 2)
            if close is None:
                return None
            if close + 1 < count and _is_punct(tokens[close + 1], ","):
                position = close + 2
                continue
            break
    return names


def _fast_relations(
    tokens: list[Token], index: int, is_from: bool, ctes: set[str], reads: list[str]
) -> int | None:
    """Read the relation(s) after FROM / JOIN; the index to continue at, or None when unsure."""
    count = len(tokens)
    while True:
        if index >= count:
            return None
        token = tokens[index]
        if _is_punct(token, "("):
            after = tokens[index + 1] if index + 1 < count else None
            if after is None or after.kind != WORD or after.text.lower() not in _SUBQUERY_STARTS:
                return None
            close = _matching_paren(tokens, index)
            if close is None:
                return None
            following = _skip_alias(tokens, close + 1)
            if following is None or not _ends_relation(tokens, following):
                return None
            return index  # scan on into the subquery
        if token.kind not in _NAME_KINDS or (token.kind == WORD and token.text.lower() in _NOT_TABLES):
            return None
        parts = [unquote(token)]
        index += 1
        while index + 1 < count and _is_punct(tokens[index], ".") and tokens[index + 1].kind in _NAME_KINDS:
            parts.append(unquote(tokens[index + 1]))
            index += 2
        if index < count and tokens[index].kind == PUNCT and tokens[index].text in "(.":
            return None  # a table function, or a name this does not understand
        name = ".".join(parts)
        if (len(parts) > 1 or name.lower() not in ctes) and name not in reads:
            reads.append(name)
        following = _skip_alias(tokens, index)
        if following is None:
            return None
        if is_from and following < count and _is_punct(tokens[following], ","):
            index = following + 1
            continue
        return following if _ends_relation(tokens, following) else None


def _skip_alias(tokens: list[Token], index: int) -> int | None:
    count = len(tokens)
    if index < count and _is_word(tokens[index], "as"):
        if index + 1 >= count or tokens[index + 1].kind not in _NAME_KINDS:
            return None
        return index + 2
    if index < count and tokens[index].kind in _NAME_KINDS:
        token = tokens[index]
        if token.kind == WORD and token.text.lower() in _NOT_ALIASES:
            return index
        return index + 1
    return index


def _ends_relation(tokens: list[Token], index: int) -> bool:
    if index >= len(tokens):
        return True
    token = tokens[index]
    if token.kind == PUNCT:
        return token.text == ")"
    return token.kind == WORD and token.text.lower() in _FOLLOWERS


# -- sqlglot ------------------------------------------------------------------------------------
@lru_cache(maxsize=16384)
def sqlglot_reads(sql: str) -> tuple[str, ...] | None:
    """Tables read by ``sql`` per sqlglot's Spark dialect, or None when sqlglot cannot parse it."""
    try:
        tree = sqlglot.parse_one(sql, read="spark")
    except Exception:  # sqlglot raises several error types; any of them means "not understood"
        return None
    if isinstance(tree, exp.Command):
        return None
    if isinstance(tree, (exp.Insert, exp.Create, exp.Cache)):
        source_query = tree.expression  # what is read; the target table is written, not read
        return _tables(source_query) if source_query is not None else ()
    if isinstance(tree, exp.Query):
        return _tables(tree)
    return ()


def _tables(tree: Any) -> tuple[str, ...]:
    cte_names: set[str] = set()
    tables: list[Any] = []
    # One walk collects both; hints are skipped (sqlglot reads BROADCAST(d) as a table named d).
    for node in tree.walk(prune=lambda node: isinstance(node, exp.Hint)):
        if isinstance(node, exp.Table):
            tables.append(node)
        elif isinstance(node, exp.CTE):
            cte_names.add(node.alias_or_name.lower())
    found: dict[str, int] = {}
    for table in tables:
        name = table.name
        if not name or not isinstance(table.this, exp.Identifier):
            continue  # a table function such as range(10)
        if not table.db and name.lower() in cte_names:
            continue
        full = ".".join(part.name for part in table.parts)
        start = table.parts[0].meta.get("start", 1 << 30)
        found[full] = min(start, found.get(full, start))  # ordered by first appearance in the text
    return tuple(sorted(found, key=found.__getitem__))


# -- best effort --------------------------------------------------------------------------------
_SCAN_STOP = frozenset(
    (
        "select", "lateral", "values", "where", "group", "order", "limit", "having", "on", "using", "union",
        "join", "left", "right", "inner", "full", "cross", "natural", "semi", "anti", "as", "window", "sort",
        "cluster", "distribute",
    )
)  # fmt: skip


def scan_reads(tokens: list[Token]) -> tuple[str, ...]:
    """Best-effort tables after FROM / JOIN (and comma lists after FROM), for SQL sqlglot cannot read."""
    ctes = _loose_cte_names(tokens)
    reads: list[str] = []
    index = 0
    count = len(tokens)
    in_function: list[bool] = []  # per open bracket: a function call (not a subquery)
    while index < count:
        token = tokens[index]
        index += 1
        if token.kind == PUNCT and token.text in "()":
            if token.text == "(":
                following = tokens[index] if index < count else None
                in_function.append(
                    following is None
                    or following.kind != WORD
                    or following.text.lower() not in _SUBQUERY_STARTS
                )
            elif in_function:
                in_function.pop()
            continue
        if token.kind != WORD or token.text.lower() not in ("from", "join"):
            continue
        if in_function and in_function[-1]:
            continue  # extract(year from ts), trim(both ' ' from s)
        in_from = token.text.lower() == "from"
        while index < count:
            name, index = _scan_name(tokens, index)
            if name and name.lower() not in ctes and name not in reads:
                reads.append(name)
            if not in_from:
                break
            if index < count and _is_word(tokens[index], "as"):
                index += 1
            if (
                index < count
                and tokens[index].kind in _NAME_KINDS
                and tokens[index].text.lower() not in _SCAN_STOP
            ):
                index += 1  # an alias
            if index < count and _is_punct(tokens[index], ","):
                index += 1
                continue
            break
    return tuple(reads)


def _scan_name(tokens: list[Token], index: int) -> tuple[str, int]:
    parts: list[str] = []
    count = len(tokens)
    while index < count:
        token = tokens[index]
        if token.kind == WORD and not parts and token.text.lower() in _SCAN_STOP:
            return "", index
        if token.kind not in _NAME_KINDS:
            return "", index
        parts.append(unquote(token))
        index += 1
        if index < count and _is_punct(tokens[index], "."):
            index += 1
            continue
        break
    if index < count and _is_punct(tokens[index], "("):
        return "", index  # a table function
    return ".".join(parts), index


def _loose_cte_names(tokens: list[Token]) -> set[str]:
    names: set[str] = set()
    for i in range(len(tokens) - 3):
        opener, name, as_word, paren = tokens[i], tokens[i + 1], tokens[i + 2], tokens[i + 3]
        if (
            (_is_word(opener, "with") or _is_punct(opener, ","))
            and name.kind in _NAME_KINDS
            and _is_word(as_word, "as")
            and _is_punct(paren, "(")
        ):
            names.add(unquote(name).lower())
    return names
