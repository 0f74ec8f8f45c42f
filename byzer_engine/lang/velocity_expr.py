"""Expressions of the Velocity-style templates: references (``$a``, ``${a.b("x")}``), literals, lists,
ranges, maps, arithmetic, comparisons and boolean logic, as used in ``#set``, ``#if`` and ``#foreach``.

Parsing turns text into a small tree of frozen nodes; ``values.evaluate`` computes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CLOSING = {"(": ")", "[": "]", "{": "}"}


class ExpressionError(ValueError):
    """The text of a directive is not a valid expression; ``offset`` is relative to that text."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass(frozen=True)
class Literal:
    value: object


@dataclass(frozen=True)
class Interpolated:
    """A double-quoted string: references inside it are rendered."""

    text: str


@dataclass(frozen=True)
class ListExpr:
    items: tuple[object, ...]


@dataclass(frozen=True)
class RangeExpr:
    start: object
    end: object


@dataclass(frozen=True)
class MapExpr:
    items: tuple[tuple[object, object], ...]


@dataclass(frozen=True)
class Member:
    """``.name`` (a property when ``args`` is None), ``.name(args)`` or ``[index]`` (name ``[]``)."""

    name: str
    args: tuple[object, ...] | None
    start: int  # offset of the member's text (for leaving an unresolved tail as written)


@dataclass(frozen=True)
class Reference:
    name: str
    members: tuple[Member, ...]
    text: str  # exactly as written, to put back when it cannot be resolved
    quiet: bool  # $!x renders nothing when x is missing
    braced: bool
    start: int


@dataclass(frozen=True)
class Unary:
    op: str
    operand: object


@dataclass(frozen=True)
class Binary:
    op: str
    left: object
    right: object


def find_closing(text: str, open_at: int) -> int:
    """Index of the bracket closing ``text[open_at]``, skipping nested brackets and quoted strings; -1 if none."""
    stack = [_CLOSING[text[open_at]]]
    index = open_at + 1
    length = len(text)
    while index < length:
        char = text[index]
        if char in "\"'":
            end = text.find(char, index + 1)
            while end != -1 and char == '"' and text[end - 1] == "\\":
                end = text.find(char, end + 1)
            if end == -1:
                return -1
            index = end + 1
            continue
        if char in _CLOSING:
            stack.append(_CLOSING[char])
        elif char == stack[-1]:
            stack.pop()
            if not stack:
                return index
        elif char in ")]}":
            return -1
        index += 1
    return -1


def parse_reference(text: str, start: int) -> tuple[Reference, int] | None:
    """The reference starting at ``text[start] == '$'`` and where it ends, or None when it is not one."""
    index = start + 1
    quiet = text.startswith("!", index)
    if quiet:
        index += 1
    braced = text.startswith("{", index)
    if braced:
        index += 1
    match = IDENTIFIER.match(text, index)
    if match is None:
        return None
    name = match.group()
    index = match.end()
    members: list[Member] = []
    while index < len(text):
        char = text[index]
        if char == "." and (member := IDENTIFIER.match(text, index + 1)) is not None:
            after = member.end()
            if after < len(text) and text[after] == "(":
                close = find_closing(text, after)
                if close == -1:
                    return None
                args = parse_arguments(text[after + 1 : close], after + 1)
                members.append(Member(member.group(), args, index))
                index = close + 1
            else:
                members.append(Member(member.group(), None, index))
                index = after
        elif char == "[":
            close = find_closing(text, index)
            if close == -1 or not text[index + 1 : close].strip():
                break
            try:
                inner = parse_expression(text[index + 1 : close])
            except ExpressionError:
                break
            members.append(Member("[]", (inner,), index))
            index = close + 1
        else:
            break
    if braced:
        if index >= len(text) or text[index] != "}":
            return None
        index += 1
    return Reference(name, tuple(members), text[start:index], quiet, braced, start), index


def parse_arguments(text: str, base: int = 0) -> tuple[object, ...]:
    if not text.strip():
        return ()
    parser = _ExpressionParser(text, base)
    items = [parser.expression()]
    while parser.take(","):
        items.append(parser.expression())
    parser.finish()
    return tuple(items)


def parse_expression(text: str, base: int = 0) -> object:
    parser = _ExpressionParser(text, base)
    node = parser.expression()
    parser.finish()
    return node


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*"|'[^']*')
      | (?P<number>\d+(?:\.\d+)?)
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<op>==|!=|<=|>=|&&|\|\||\.\.|[-+*/%<>!=(),\[\]{}:])
      | (?P<ref>\$)
    )""",
    re.VERBOSE | re.DOTALL,
)
_WORD_OPS = {
    "and": "&&",
    "or": "||",
    "not": "!",
    "eq": "==",
    "ne": "!=",
    "lt": "<",
    "gt": ">",
    "le": "<=",
    "ge": ">=",
}
_COMPARISONS = ("==", "!=", "<", ">", "<=", ">=")


class _ExpressionParser:
    """Recursive descent over one expression text; ``base`` shifts offsets for error messages."""

    def __init__(self, text: str, base: int) -> None:
        self.text = text
        self.base = base
        self.pos = 0
        self.kind = ""
        self.value = ""
        self.token_start = 0
        self._next()

    def _next(self) -> None:
        text = self.text
        while self.pos < len(text) and text[self.pos].isspace():
            self.pos += 1
        self.token_start = self.pos
        if self.pos >= len(text):
            self.kind, self.value = "end", ""
            return
        if text[self.pos] == "$":
            parsed = parse_reference(text, self.pos)
            if parsed is None:
                raise self.error("expected a variable name after '$'")
            self.kind, self.value = "ref", ""
            self.reference = parsed[0]
            self.pos = parsed[1]
            return
        match = _TOKEN.match(text, self.pos)
        if match is None or match.lastgroup is None:
            raise self.error(f"unexpected character {text[self.pos]!r}")
        self.kind = match.lastgroup
        self.value = match.group(match.lastgroup)
        self.pos = match.end()
        if self.kind == "word" and self.value in _WORD_OPS:
            self.kind, self.value = "op", _WORD_OPS[self.value]

    def error(self, message: str) -> ExpressionError:
        return ExpressionError(message, self.base + self.token_start)

    def take(self, op: str) -> bool:
        if self.kind == "op" and self.value == op:
            self._next()
            return True
        return False

    def expect(self, op: str) -> None:
        if not self.take(op):
            found = self.value or "the end"
            raise self.error(f"expected '{op}', found '{found}'")

    def finish(self) -> None:
        if self.kind != "end":
            raise self.error(f"unexpected '{self.value or self.text[self.token_start :]}'")

    def expression(self) -> object:
        node = self._and()
        while self.take("||"):
            node = Binary("||", node, self._and())
        return node

    def _and(self) -> object:
        node = self._not()
        while self.take("&&"):
            node = Binary("&&", node, self._not())
        return node

    def _not(self) -> object:
        if self.take("!"):
            return Unary("!", self._not())
        return self._comparison()

    def _comparison(self) -> object:
        node = self._sum()
        if self.kind == "op" and self.value in _COMPARISONS:
            op = self.value
            self._next()
            node = Binary(op, node, self._sum())
        return node

    def _sum(self) -> object:
        node = self._product()
        while self.kind == "op" and self.value in ("+", "-"):
            op = self.value
            self._next()
            node = Binary(op, node, self._product())
        return node

    def _product(self) -> object:
        node = self._unary()
        while self.kind == "op" and self.value in ("*", "/", "%"):
            op = self.value
            self._next()
            node = Binary(op, node, self._unary())
        return node

    def _unary(self) -> object:
        if self.take("-"):
            return Unary("-", self._unary())
        return self._primary()

    def _primary(self) -> object:
        kind, value = self.kind, self.value
        if kind == "ref":
            reference = self.reference
            self._next()
            return reference
        if kind == "string":
            self._next()
            return Interpolated(value[1:-1]) if value[0] == '"' else Literal(value[1:-1])
        if kind == "number":
            self._next()
            return Literal(float(value) if "." in value else int(value))
        if kind == "word":
            self._next()
            lowered = value.lower()
            if lowered in ("true", "false"):
                return Literal(lowered == "true")
            if lowered == "null":
                return Literal(None)
            return Literal(value)  # a bare word, e.g. an unquoted map key
        if self.take("("):
            node = self.expression()
            self.expect(")")
            return node
        if self.take("["):
            return self._list()
        if self.take("{"):
            return self._map()
        raise self.error(f"expected a value, found '{value or 'the end'}'")

    def _list(self) -> object:
        if self.take("]"):
            return ListExpr(())
        first = self.expression()
        if self.take(".."):
            end = self.expression()
            self.expect("]")
            return RangeExpr(first, end)
        items = [first]
        while self.take(","):
            items.append(self.expression())
        self.expect("]")
        return ListExpr(tuple(items))

    def _map(self) -> object:
        items: list[tuple[object, object]] = []
        if self.take("}"):
            return MapExpr(())
        while True:
            key = self.expression()
            self.expect(":")
            items.append((key, self.expression()))
            if not self.take(","):
                break
        self.expect("}")
        return MapExpr(tuple(items))
