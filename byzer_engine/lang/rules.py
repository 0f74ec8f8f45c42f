"""One rule per statement kind: tokens of one statement in, a typed statement out.

Each function mirrors one grammar line of LANGUAGE.md; the shared pieces (names, ``FORMAT.`PATH` ``,
options, values) live on ``Cursor``.
"""

from __future__ import annotations

from collections.abc import Callable

from byzer_engine.lang.cursor import Cursor, describe
from byzer_engine.lang.sqlcheck import check_and_read
from byzer_engine.lang.statements import (
    Branch,
    Connect,
    Explain,
    Include,
    Load,
    Macro,
    MacroArg,
    RawSql,
    Register,
    RunET,
    Save,
    SaveMode,
    Select,
    SetVar,
    Span,
    Statement,
    ValueKind,
)
from byzer_engine.lang.tokens import BACKQUOTED, BLOCK, HINT, PUNCT, STRING, WORD, Token, unquote

RAW_SQL_VERBS = frozenset(
    (
        "insert",
        "create",
        "drop",
        "refresh",
        "alter",
        "truncate",
        "msck",
        "cache",
        "uncache",
        "delete",
        "update",
        "merge",
    )
)
SELECT_VERBS = frozenset(("select", "with"))
_SAVE_MODES = {
    "overwrite": SaveMode.OVERWRITE,
    "append": SaveMode.APPEND,
    "errorifexists": SaveMode.ERROR_IF_EXISTS,
    "ignore": SaveMode.IGNORE,
}
_ARG_KINDS = {STRING: ValueKind.QUOTED, BLOCK: ValueKind.BLOCK, BACKQUOTED: ValueKind.BACKQUOTED}
BRANCH_NAMES = frozenset(("if", "elif", "else", "fi"))
STATEMENT_WORDS = (
    "load, select, save, set, connect, train, run, predict, register, include, insert, create, drop, "
    "refresh, explain"
)
# Spark's EXPLAIN modes, which ``explain`` takes too (the plan's detail; "" is Spark's simple plan).
EXPLAIN_MODES = frozenset(("extended", "formatted", "codegen", "cost", "simple"))


def span_of(cursor: Cursor) -> Span:
    tokens = cursor.tokens
    source = cursor.source
    start, end = tokens[0].start, tokens[-1].end
    line, column = source.location(start)
    end_line, end_column = source.location(end - 1)
    return Span(source.file, line, column, end_line, end_column, source.text[start:end])


def parse_load(cursor: Cursor, span: Span) -> Statement:
    cursor.advance()
    fmt, path = cursor.format_and_path("load")
    options = cursor.options()
    if options:
        cursor.expect_keyword("as", "expected 'and' or 'as' after load options")
    else:
        cursor.expect_keyword("as", "expected 'as' after load path")
    table = cursor.name("expected a table name after 'as'")
    cursor.expect_end("the table name")
    return Load(span, format=fmt, path=path, options=options, table=table)


def parse_save(cursor: Cursor, span: Span) -> Statement:
    cursor.advance()
    mode = SaveMode.ERROR_IF_EXISTS
    while cursor.is_keyword(*_SAVE_MODES) and not cursor.is_keyword("as", ahead=1):
        mode = _SAVE_MODES[cursor.advance().text.lower()]
    table = cursor.name("expected a table name after 'save'")
    cursor.expect_keyword("as", f"expected 'as' after the table name '{table}'")
    fmt, path = cursor.format_and_path("as")
    options = cursor.options()
    partition_by: list[str] = []
    if cursor.take_keyword("partitionby"):
        while cursor.is_name():
            partition_by.append(cursor.name("expected a column name"))
            if not cursor.is_punct(","):
                break
            cursor.advance()
            if not cursor.is_name():
                raise cursor.error("expected a column name after ','", expected="a column name")
        options.update(cursor.options())
    if not cursor.at_end():
        expected = "'partitionBy' or ';'" if not partition_by else "',' or ';'"
        raise cursor.error(f"unexpected {describe(cursor.peek())} in save statement; expected {expected}")
    return Save(
        span, table=table, format=fmt, path=path, mode=mode, options=options, partition_by=tuple(partition_by)
    )


def parse_set(cursor: Cursor, span: Span) -> Statement:
    cursor.advance()
    key = cursor.qualified_name("expected a variable name after 'set'")
    cursor.expect_punct("=", f"expected '=' after the variable name '{key}'")
    value, kind = cursor.value(f"expected a value after '{key} ='")
    options = cursor.options()
    if not cursor.at_end():
        raise cursor.error(
            f"unexpected {describe(cursor.peek())} after the value of '{key}'; expected 'where' or ';'"
        )
    return SetVar(span, key=key, value=value, value_kind=kind, options=options)


def parse_connect(cursor: Cursor, span: Span) -> Statement:
    cursor.advance()
    fmt = cursor.name("expected a format name after 'connect'")
    options = cursor.options()
    alias = ""
    if cursor.take_keyword("as"):
        alias = cursor.qualified_name("expected a name after 'as'")
    elif not cursor.at_end():
        expected = "'and' or 'as'" if options else "'where' or 'as'"
        raise cursor.error(f"unexpected {describe(cursor.peek())} in connect statement; expected {expected}")
    cursor.expect_end("the connection name")
    return Connect(span, format=fmt, options=options, alias=alias)


def parse_run(cursor: Cursor, span: Span) -> Statement:
    verb = cursor.advance().text.lower()
    table = cursor.name(f"expected a table name after '{verb}'")
    if not cursor.take_keyword("as", "into"):
        raise cursor.error(f"expected 'as' after the table name '{table}'", expected="'as'")
    et, path = cursor.format_and_path("as", what="an ET name")
    options = cursor.options()
    output: str | None = None
    if cursor.take_keyword("as", "into"):
        output = cursor.name("expected an output table name after 'as'")
        options.update(cursor.options())
    if not cursor.at_end():
        raise cursor.error(
            f"unexpected {describe(cursor.peek())} in {verb} statement; expected 'where', 'as' or ';'"
        )
    return RunET(span, verb=verb, table=table, et=et, path=path, options=options, output=output)


def parse_register(cursor: Cursor, span: Span) -> Statement:
    cursor.advance()
    et, path = cursor.format_and_path("register", what="an ET name")
    cursor.expect_keyword("as", "expected 'as' and a function name after the register path")
    function = cursor.name("expected a function name after 'as'")
    options = cursor.options()
    cursor.expect_end("the register options")
    return Register(span, et=et, path=path, function=function, options=options)


def parse_include(cursor: Cursor, span: Span) -> Statement:
    cursor.advance()
    kind, path = cursor.format_and_path("include", what="an include type (local or project)")
    options = cursor.options()
    cursor.expect_end("the include path")
    return Include(span, type=kind, path=path, options=options)


def parse_select(cursor: Cursor, span: Span) -> Statement:
    tokens = cursor.tokens
    count = len(tokens)
    name_token = tokens[-1]
    if count < 3 or name_token.kind not in (WORD, BACKQUOTED) or not _is_as(tokens[-2]):
        cursor.pos = count
        raise cursor.error(
            "expected 'as TABLE' at the end of the select (the name of the view it creates)",
            expected="'as TABLE'",
        )
    body = tokens[:-2]
    source = cursor.source
    sql = source.text[body[0].start : body[-1].end]
    reads = check_and_read(source, body, sql)
    return Select(span, sql=sql, table=unquote(name_token), reads=reads)


def _is_as(token: object) -> bool:
    return getattr(token, "kind", None) == WORD and getattr(token, "text", "").lower() == "as"


def parse_raw_sql(cursor: Cursor, span: Span) -> Statement:
    verb = cursor.tokens[0].text.lower()
    reads = check_and_read(cursor.source, cursor.tokens, span.raw, raw_verb=verb)
    return RawSql(span, verb=verb, sql=span.raw, reads=reads)


def parse_macro(cursor: Cursor, span: Span) -> Statement:
    bang = cursor.advance()
    name_token = cursor.peek()
    if name_token is None or name_token.kind != WORD or name_token.start != bang.end:
        raise cursor.error("expected a macro name right after '!' (e.g. !desc t)", expected="a macro name")
    cursor.advance()
    args = macro_args(cursor)
    name = name_token.text
    lowered = name.lower()
    if lowered in BRANCH_NAMES:
        return _branch(cursor, span, lowered, args, name_token.end)
    return Macro(span, name=name, args=tuple(args))


def macro_args(cursor: Cursor) -> list[MacroArg]:
    """Arguments: each string, block string or backquoted name is one; other adjacent text is one raw word."""
    args: list[MacroArg] = []
    while not cursor.at_end():
        token = cursor.peek()
        assert token is not None
        kind = _ARG_KINDS.get(token.kind)
        if kind is not None:
            cursor.advance()
            args.append(MacroArg(unquote(token), kind))
        elif token.kind == HINT:
            cursor.advance()
            args.append(MacroArg(token.text, ValueKind.RAW))
        else:
            args.append(MacroArg(cursor.raw_run(), ValueKind.RAW))
    return args


def _branch(cursor: Cursor, span: Span, branch: str, args: list[MacroArg], name_end: int) -> Statement:
    if branch in ("else", "fi"):
        if args:
            cursor.pos = 2
            raise cursor.error(f"'!{branch}' takes no arguments", expected="';'")
        return Branch(span, branch=branch)
    if not args:
        raise cursor.error(
            f"expected a condition after '!{branch}' (e.g. !{branch} ''':x > 1''')", expected="a condition"
        )
    if len(args) == 1 and args[0].value_kind != ValueKind.RAW:
        condition = args[0].value
    else:
        condition = cursor.source.text[cursor.tokens[2].start : cursor.tokens[-1].end]
    return Branch(span, branch=branch, condition=condition)


def parse_explain(cursor: Cursor, span: Span) -> Statement:
    cursor.advance()
    mode = ""
    if cursor.is_keyword(*EXPLAIN_MODES) and cursor.peek(1) is not None:
        mode = cursor.advance().text.lower()
    if cursor.at_end():
        raise cursor.error("expected a statement to explain after 'explain'", expected="a statement")
    inner = Cursor(cursor.source, cursor.tokens[cursor.pos :], cursor.end)
    first = inner.tokens[0]
    if first.kind == WORD and first.text.lower() == "explain":
        raise inner.error("'explain' cannot explain an explain", expected="a statement")
    target_span = span_of(inner)
    if first.kind == WORD and first.text.lower() in SELECT_VERBS and not _ends_with_as_name(inner.tokens):
        sql = target_span.raw
        target: Statement = Select(
            target_span, sql=sql, table="", reads=check_and_read(inner.source, inner.tokens, sql)
        )
    else:
        target = rule_for(first.kind, first.text)(inner, target_span)
    return Explain(span, target=target, mode=mode)


def _ends_with_as_name(tokens: list[Token]) -> bool:
    return len(tokens) >= 3 and tokens[-1].kind in (WORD, BACKQUOTED) and _is_as(tokens[-2])


def _unknown(cursor: Cursor, span: Span) -> Statement:
    token = cursor.peek()
    raise cursor.error(
        f"expected a statement ({STATEMENT_WORDS} or !macro), found {describe(token)}",
        expected="a statement",
    )


RULES: dict[str, Callable[[Cursor, Span], Statement]] = {
    "load": parse_load,
    "save": parse_save,
    "set": parse_set,
    "connect": parse_connect,
    "train": parse_run,
    "run": parse_run,
    "predict": parse_run,
    "register": parse_register,
    "include": parse_include,
    "explain": parse_explain,
    **{verb: parse_select for verb in SELECT_VERBS},
    **{verb: parse_raw_sql for verb in RAW_SQL_VERBS},
}


def _parenthesized_select(cursor: Cursor, span: Span) -> Statement:
    """``(select ...) union (select ...) as t``: a query that starts with a bracket."""
    depth = 0
    for token in cursor.tokens:
        if token.kind == PUNCT and token.text == "(":
            depth += 1
            continue
        if token.kind == WORD and token.text.lower() in SELECT_VERBS and depth > 0:
            return parse_select(cursor, span)
        break
    return _unknown(cursor, span)


def rule_for(first_kind: str, first_text: str) -> Callable[[Cursor, Span], Statement]:
    if first_kind == WORD:
        return RULES.get(first_text.lower(), _unknown)
    if first_kind == PUNCT:
        if first_text == "!":
            return parse_macro
        if first_text == "(":
            return _parenthesized_select
    return _unknown
