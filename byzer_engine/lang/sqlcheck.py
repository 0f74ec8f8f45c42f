"""Checks on the SQL inside ``select`` and raw SQL statements, and the tables that SQL reads.

Spark is the authority on what is valid. sqlglot (Spark dialect) finds the tables a query reads
(``sqlreads.py``), but it cannot parse every valid Spark query, so a failure of sqlglot alone never
rejects a statement. A body is rejected only when it is broken for
certain: unbalanced brackets, an empty list item (``a,, b``) or a query that stops right after a word or
operator that needs more (``join t on``, ``where a =``, ``group by``). Each rule here was checked
against Spark's own parser. Bodies with template syntax (``${...}``, ``#foreach``) are not checked:
the runtime re-parses them once rendered.
"""

from __future__ import annotations

import logging
import re

from byzer_engine.lang.source import Source
from byzer_engine.lang.sqlreads import fast_raw_reads, fast_reads, scan_reads, sqlglot_reads
from byzer_engine.lang.tokens import HINT, PUNCT, WORD, Token

# sqlglot logs a warning for every statement it falls back on; those are not the user's concern.
logging.getLogger("sqlglot").setLevel(logging.ERROR)

TEMPLATE_SYNTAX = re.compile(r"\$\{|\$!?\{?[A-Za-z_]|#\{?(?:set|if|elseif|else|end|foreach)\b")

# Spark's strict keywords: never an identifier, so a query cannot end on one.
_STRICT_ENDINGS = frozenset(
    [
        "on",
        "join",
        "union",
        "intersect",
        "except",
        "minus",
        "cross",
        "left",
        "right",
        "full",
        "inner",
        "natural",
        "semi",
        "anti",
        "lateral",
        "using",
    ]
)
_SET_OPERATORS = frozenset(("union", "intersect", "except", "minus"))
_BY_OWNERS = frozenset(("group", "order", "sort", "cluster", "distribute", "partition"))
# Words that need an operand when they end a WHERE / HAVING / ON condition.
_CONDITION_ENDINGS = frozenset(
    [
        "and",
        "or",
        "in",
        "like",
        "rlike",
        "ilike",
        "regexp",
        "between",
        "is",
        "group",
        "order",
        "limit",
        "having",
    ]
)
_CONDITION_CLAUSES = frozenset(("where", "having", "on"))
_CLAUSES = frozenset(
    [
        "select",
        "from",
        "where",
        "having",
        "on",
        "group",
        "order",
        "limit",
        "sort",
        "cluster",
        "distribute",
        "window",
        "union",
        "intersect",
        "except",
        "minus",
    ]
)
_OPERATOR_ENDINGS = frozenset(["=", "<", ">", "+", "-", "/", "%", "&", "|", "^", ",", ".", "!", "~", ":"])
_OPENERS = {"(": ")", "[": "]"}
_CLOSERS = {")": "(", "]": "["}
_QUERY_WORDS = frozenset(("select", "from", "insert", "values", "table", "map", "reduce"))
# For insert/create/drop/refresh: these cannot end the statement (``drop table``, ``create table x as``).
_DDL_ENDINGS = frozenset(
    ("table", "view", "database", "schema", "function", "into", "overwrite", "values", "as")
)


def has_template(sql: str) -> bool:
    return TEMPLATE_SYNTAX.search(sql) is not None


def check_and_read(
    source: Source, tokens: list[Token], sql: str, *, raw_verb: str | None = None
) -> tuple[str, ...]:
    """Raise ``ByzerSyntaxError`` when ``tokens`` are surely not valid Spark SQL; return the tables read."""
    significant = [t for t in tokens if t.kind != HINT]
    if has_template(sql):
        return scan_reads(significant)
    _check_certain_errors(source, significant, raw_verb)
    reads = fast_reads(significant) if raw_verb is None else fast_raw_reads(raw_verb, significant)
    if reads is not None:
        return reads
    reads = sqlglot_reads(sql)
    return scan_reads(significant) if reads is None else reads


def _check_certain_errors(source: Source, tokens: list[Token], raw_verb: str | None) -> None:
    stack: list[Token] = []
    previous: Token | None = None
    for token in tokens:
        if token.kind == PUNCT:
            text = token.text
            if text in _OPENERS:
                stack.append(token)
            elif text in _CLOSERS:
                if not stack or stack[-1].text != _CLOSERS[text]:
                    raise source.error(
                        f"unexpected '{text}' without a matching '{_CLOSERS[text]}'", token.start
                    )
                stack.pop()
            if previous is not None and previous.kind == PUNCT:
                if text == ")" and previous.text == ",":
                    raise source.error("empty item in a list: unexpected ',' before ')'", previous.start)
                if text == "," and previous.text in ",(":
                    # the second ',' is the stray one (where Spark points too), even on the next line
                    raise source.error(
                        f"empty item in a list: unexpected ',' after '{previous.text}'", token.start
                    )
            if (
                text == ")"
                and previous is not None
                and previous.kind == WORD
                and previous.text.lower() == "as"
            ):
                raise source.error("expected a name or type after 'as'", token.start)
        previous = token
    if stack:
        opener = stack[-1]
        raise source.error(
            f"'{opener.text}' is never closed", opener.start, expected=f"'{_OPENERS[opener.text]}'"
        )
    if not tokens:
        return
    _check_ending(source, tokens, raw_verb)


def _check_ending(source: Source, tokens: list[Token], raw_verb: str | None) -> None:
    last = tokens[-1]
    word = last.text.lower() if last.kind == WORD else ""
    before = tokens[-2].text.lower() if len(tokens) > 1 and tokens[-2].kind == WORD else ""

    def incomplete(what: str) -> None:
        raise source.error(f"incomplete SQL: nothing follows {what}", last.start, expected="more SQL")

    if last.kind == PUNCT and last.text in _OPERATOR_ENDINGS:
        incomplete(f"'{last.text}'")
    if word in _STRICT_ENDINGS:
        incomplete(f"'{last.text}'")
    if word in ("all", "distinct") and before in _SET_OPERATORS:
        incomplete(f"'{tokens[-2].text} {last.text}'")
    if word == "by" and before in _BY_OWNERS:
        incomplete(f"'{tokens[-2].text} {last.text}'")
    if len(tokens) == 1 and word == "select":
        incomplete("'select'")
    if word in _CONDITION_ENDINGS and _last_clause(tokens[:-1]) in _CONDITION_CLAUSES:
        incomplete(f"'{last.text}'")
    if word in ("then", "else") and _open_case(tokens):
        incomplete(f"'{last.text}' in a CASE expression")
    if tokens[0].kind == WORD and tokens[0].text.lower() == "with" and not _has_main_query(tokens):
        raise source.error("a WITH clause must be followed by a query", last.start, expected="a query")
    if raw_verb is not None and word in _DDL_ENDINGS and not any(_is_word(t, "select") for t in tokens):
        incomplete(f"'{last.text}'")


def _is_word(token: Token, word: str) -> bool:
    return token.kind == WORD and token.text.lower() == word


def _last_clause(tokens: list[Token]) -> str:
    """The last clause keyword at the outermost level (``where``, ``on``, ``group`` ...)."""
    depth = 0
    clause = ""
    for token in tokens:
        if token.kind == PUNCT:
            if token.text in _OPENERS:
                depth += 1
            elif token.text in _CLOSERS:
                depth -= 1
        elif depth == 0 and token.kind == WORD:
            lowered = token.text.lower()
            if lowered in _CLAUSES:
                clause = lowered
    return clause


def _open_case(tokens: list[Token]) -> bool:
    cases = sum(1 for t in tokens if _is_word(t, "case"))
    ends = sum(1 for t in tokens if _is_word(t, "end"))
    return cases > ends


def _has_main_query(tokens: list[Token]) -> bool:
    depth = 0
    for token in tokens[1:]:
        if token.kind == PUNCT:
            if token.text in _OPENERS:
                depth += 1
            elif token.text in _CLOSERS:
                depth -= 1
        elif depth == 0 and token.kind == WORD and token.text.lower() in _QUERY_WORDS:
            return True
    return False


# Brackets, and the literals and comments whose brackets do not count.
_NESTING = re.compile(r"""[()\[\]]|'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"|`[^`]*`|--[^\n]*|/\*.*?\*/""", re.S)


def nesting_beyond(sql: str, limit: int) -> int | None:
    """The offset of the first bracket of ``sql`` nested deeper than ``limit``, or None."""
    depth = 0
    for match in _NESTING.finditer(sql):
        text = match.group()
        if text == "(" or text == "[":
            depth += 1
            if depth > limit:
                return match.start()
        elif text == ")" or text == "]":
            depth = max(depth - 1, 0)
    return None
