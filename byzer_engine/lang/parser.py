"""Script text to typed statements: tokenize once, split on ``;``, then one rule per statement kind."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from byzer_engine.lang.cursor import Cursor
from byzer_engine.lang.errors import ByzerSyntaxError, Position
from byzer_engine.lang.rules import rule_for, span_of
from byzer_engine.lang.source import Source
from byzer_engine.lang.statements import Branch, Statement
from byzer_engine.lang.tokens import SEMI, Token, tokenize


def split_statements(source: Source, tokens: list[Token]) -> Iterator[tuple[list[Token], int]]:
    """Each statement's tokens and the offset of its ``;`` (or of the text's end); ``;;`` is skipped."""
    start = 0
    semis = [index for index, token in enumerate(tokens) if token.kind is SEMI]
    for index in semis:
        if index > start:
            yield tokens[start:index], tokens[index].start
        start = index + 1
    if start < len(tokens):
        yield tokens[start:], len(source.text)


def parse_tokens(source: Source, tokens: list[Token], end: int) -> Statement:
    """One statement from its tokens (non-empty, no ``;``)."""
    cursor = Cursor(source, tokens, end)
    first = tokens[0]
    return rule_for(first.kind, first.text)(cursor, span_of(cursor))


def parse_source(source: Source) -> list[Statement]:
    """Every statement of ``source``, includes left as ``Include`` statements."""
    tokens = tokenize(source)
    return [parse_tokens(source, part, end) for part, end in split_statements(source, tokens)]


def parse_statement(text: str, *, file: str = "<script>", line: int = 1, column: int = 1) -> Statement:
    """Exactly one (already rendered) statement; ``line``/``column`` place it in its file for errors."""
    source = Source(text, file, line, column)
    tokens = tokenize(source)
    parts = list(split_statements(source, tokens))
    if not parts:
        raise source.error("expected a statement, found nothing", len(text.rstrip()), expected="a statement")
    if len(parts) > 1:
        second = parts[1][0][0]
        raise source.error("expected exactly one statement, found another one here", second.start)
    statement_tokens, end = parts[0]
    return parse_tokens(source, statement_tokens, end)


def check_branches(statements: list[Statement], sources: Mapping[str, Source] | None = None) -> None:
    """``!if`` / ``!elif`` / ``!else`` / ``!fi`` must nest properly (``sources`` give errors their line)."""

    def fail(message: str, branch: Branch, expected: str | None = None) -> ByzerSyntaxError:
        span = branch.span
        source = (sources or {}).get(span.file)
        if source is None:
            return ByzerSyntaxError(message, span.position(), expected)
        return ByzerSyntaxError(
            message, Position(span.file, span.line, span.column, source.text_of_line(span.line)), expected
        )

    open_ifs: list[tuple[Branch, bool]] = []  # (the !if, whether an !else was seen)
    for statement in statements:
        if not isinstance(statement, Branch):
            continue
        kind = statement.branch
        if kind == "if":
            open_ifs.append((statement, False))
            continue
        if not open_ifs:
            raise fail(f"'!{kind}' without a matching '!if'", statement)
        if kind == "fi":
            open_ifs.pop()
        elif open_ifs[-1][1]:
            raise fail(f"'!{kind}' after '!else' (expected '!fi')", statement)
        elif kind == "else":
            open_ifs[-1] = (open_ifs[-1][0], True)
    if open_ifs:
        unclosed = open_ifs[-1][0]
        raise fail("'!if' without a matching '!fi'", unclosed, expected="'!fi'")
