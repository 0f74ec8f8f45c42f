"""A cursor over one statement's tokens, with the small grammar pieces every statement shares.

Names, ``FORMAT.`PATH` `` pairs, option lists (``where k="v" and ...``) and values are parsed here so
each statement rule (``rules.py``) reads like the grammar line it implements.
"""

from __future__ import annotations

from byzer_engine.lang.errors import ByzerSyntaxError
from byzer_engine.lang.source import Source
from byzer_engine.lang.statements import ValueKind
from byzer_engine.lang.tokens import BACKQUOTED, BLOCK, PUNCT, STRING, WORD, Token, unquote

_VALUE_KINDS = {STRING: ValueKind.QUOTED, BLOCK: ValueKind.BLOCK, BACKQUOTED: ValueKind.BACKQUOTED}
_NAME_KINDS = (WORD, BACKQUOTED)
# Words that end a raw value rather than being one (`where k= as t` is a missing value, not "as").
_KEYWORDS = frozenset(("and", "as", "into", "where", "options", "partitionby"))


class Cursor:
    """Walks the tokens of one statement; ``end`` is the offset of its ``;`` (or of the text's end)."""

    __slots__ = ("end", "pos", "source", "tokens")

    def __init__(self, source: Source, tokens: list[Token], end: int) -> None:
        self.source = source
        self.tokens = tokens
        self.end = end
        self.pos = 0

    # -- looking -------------------------------------------------------------------------------
    def peek(self, ahead: int = 0) -> Token | None:
        index = self.pos + ahead
        return self.tokens[index] if index < len(self.tokens) else None

    def at_end(self) -> bool:
        return self.pos >= len(self.tokens)

    def is_keyword(self, *words: str, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token is not None and token.kind == WORD and token.text.lower() in words

    def is_punct(self, char: str, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token is not None and token.kind == PUNCT and token.text == char

    def is_name(self, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token is not None and token.kind in _NAME_KINDS

    # -- moving --------------------------------------------------------------------------------
    def advance(self) -> Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def take_keyword(self, *words: str) -> Token | None:
        if self.is_keyword(*words):
            return self.advance()
        return None

    def expect_keyword(self, word: str, message: str) -> Token:
        if self.is_keyword(word):
            return self.advance()
        raise self.error(message, expected=f"'{word}'")

    def expect_punct(self, char: str, message: str) -> Token:
        if self.is_punct(char):
            return self.advance()
        raise self.error(message, expected=f"'{char}'")

    def expect_end(self, what: str) -> None:
        if not self.at_end():
            token = self.tokens[self.pos]
            raise self.error(f"unexpected {describe(token)} after {what}; expected ';'", expected="';'")

    # -- errors --------------------------------------------------------------------------------
    def offset(self) -> int:
        """Where the current token starts, or where the statement ends when none is left."""
        token = self.peek()
        return token.start if token is not None else self.end

    def error(self, message: str, expected: str | None = None) -> ByzerSyntaxError:
        return self.source.error(message, self.offset(), expected=expected)

    # -- grammar pieces ------------------------------------------------------------------------
    def name(self, message: str) -> str:
        """A table, format, ET or function name: a word or a backquoted name."""
        if not self.is_name():
            raise self.error(message, expected="a name")
        return unquote(self.advance())

    def qualified_name(self, message: str) -> str:
        """``a.b.c`` (each part a word or backquoted); parts are joined with ``.``."""
        parts = [self.name(message)]
        while self.is_punct(".") and self.is_name(1):
            self.advance()
            parts.append(unquote(self.advance()))
        return ".".join(parts)

    def format_and_path(self, after: str, what: str = "a format name") -> tuple[str, str]:
        """``FORMAT.`PATH` `` as in ``load csv.`/tmp/a.csv` ``."""
        fmt = self.name(f"expected {what} after '{after}'")
        self.expect_punct(".", f"expected '.' and a path after '{fmt}' (e.g. {fmt}.`/path`)")
        token = self.peek()
        if token is not None and token.kind in (BACKQUOTED, STRING, BLOCK):
            return fmt, unquote(self.advance())
        if token is not None and token.kind == WORD:
            return fmt, self.qualified_name("expected a path")
        raise self.error(f"expected a path after '{fmt}.' (e.g. {fmt}.`/path`)", expected="a path")

    def looks_like_option(self, ahead: int = 0) -> bool:
        """True when the tokens from ``ahead`` read ``key [. key]* =``."""
        if not self.is_name(ahead):
            return False
        ahead += 1
        while self.is_punct(".", ahead) and self.is_name(ahead + 1):
            ahead += 2
        return self.is_punct("=", ahead)

    def options(self) -> dict[str, str]:
        """``[where|options] [and] k="v" [and k2='''v2''' ...]``; an empty dict when none are there."""
        options: dict[str, str] = {}
        introduced = self.take_keyword("where", "options")
        if self.is_keyword("and") and self.looks_like_option(1):
            self.advance()  # `where and k="v"` is accepted
        if (
            introduced is not None
            and not self.looks_like_option()
            and not self.at_end()
            and not self.is_keyword("as", "into", "partitionby")
        ):
            raise self.error(
                f"expected an option (key=\"value\") after '{introduced.text}'", expected="an option"
            )
        while self.looks_like_option():
            key = self.qualified_name("expected an option name")
            self.advance()  # '='
            options[key] = self.value(f"expected a quoted value after '{key}='")[0]
            if self.is_keyword("and"):
                if not self.looks_like_option(1):
                    self.advance()
                    raise self.error("expected an option (key=\"value\") after 'and'", expected="an option")
                self.advance()
            elif self.looks_like_option():
                raise self.error(
                    'expected \'and\' between two options (k1="v1" and k2="v2")', expected="'and'"
                )
        return options

    def value(self, message: str) -> tuple[str, ValueKind]:
        """A quoted, block or backquoted string, or a raw word run such as ``200`` or ``-1.5``."""
        token = self.peek()
        if token is None:
            raise self.error(message, expected="a value")
        kind = _VALUE_KINDS.get(token.kind)
        if kind is not None:
            self.advance()
            return unquote(token), kind
        if token.kind not in (WORD, PUNCT) or (token.kind == WORD and token.text.lower() in _KEYWORDS):
            raise self.error(message, expected="a value")
        return self.raw_run(), ValueKind.RAW

    def raw_run(self) -> str:
        """Adjacent word and punctuation tokens (no space between) read as one raw text."""
        first = self.advance()
        last = first
        while True:
            token = self.peek()
            if token is None or token.start != last.end or token.kind not in (WORD, PUNCT):
                break
            last = self.advance()
        return self.source.text[first.start : last.end]


def describe(token: Token | None) -> str:
    if token is None:
        return "end of statement"
    text = token.text if len(token.text) <= 30 else token.text[:27] + "..."
    return f"'{text}'"
