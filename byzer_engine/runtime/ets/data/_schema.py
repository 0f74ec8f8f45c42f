"""Byzer's schema texts: ``st(field(name,type),...)``, Spark's JSON schema, or a DDL string."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from byzer_engine.lang.errors import ByzerError

if TYPE_CHECKING:
    from pyspark.sql.types import StructType

_TOKEN = re.compile(r"[(),]|[^(),]+")
# Byzer's simple type names, as Spark DDL.
_SIMPLE = {
    "string": "string", "int": "int", "integer": "int", "long": "bigint", "bigint": "bigint",
    "short": "smallint", "smallint": "smallint", "byte": "tinyint", "tinyint": "tinyint",
    "float": "float", "double": "double", "boolean": "boolean", "binary": "binary", "date": "date",
    "timestamp": "timestamp", "decimal": "decimal",
}  # fmt: skip


def _tokens(text: str) -> list[str]:
    return [token.strip() for token in _TOKEN.findall(text) if token.strip()]


class _SimpleSchema:
    """``st(field(a,string),field(b,array(long)),field(c,map(string,st(field(x,int)))))`` as DDL."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.at = 0

    def _next(self) -> str:
        if self.at >= len(self.tokens):
            raise ByzerError(f"the schema ends too early: {self.text}")
        token = self.tokens[self.at]
        self.at += 1
        return token

    def _expect(self, want: str) -> None:
        got = self._next()
        if got != want:
            raise ByzerError(f"expected '{want}' but found '{got}' in the schema: {self.text}")

    def ddl(self) -> str:
        fields = self._struct_fields()
        if self.at != len(self.tokens):
            raise ByzerError(f"unexpected '{self.tokens[self.at]}' after the schema: {self.text}")
        return ", ".join(fields)

    def _struct_fields(self) -> list[str]:
        if self._next().lower() != "st":
            raise ByzerError(f"a schema starts with st(...): {self.text}")
        self._expect("(")
        fields = []
        while True:
            if self._next().lower() != "field":
                raise ByzerError(f"st(...) holds field(name,type) items: {self.text}")
            self._expect("(")
            name = self._next()
            self._expect(",")
            fields.append(f"`{name.replace('`', '``')}` {self._type()}")
            self._expect(")")
            separator = self._next()
            if separator == ")":
                return fields
            if separator != ",":
                raise ByzerError(f"expected ',' or ')' but found '{separator}' in the schema: {self.text}")

    def _type(self) -> str:
        word = self.tokens[self.at].lower() if self.at < len(self.tokens) else ""
        if word == "st":
            return "struct<" + ", ".join(f.replace(" ", ": ", 1) for f in self._struct_fields()) + ">"
        self._next()
        if word == "array":
            self._expect("(")
            inner = self._type()
            self._expect(")")
            return f"array<{inner}>"
        if word == "map":
            self._expect("(")
            key = self._type()
            self._expect(",")
            value = self._type()
            self._expect(")")
            return f"map<{key}, {value}>"
        if word == "decimal" and self.at < len(self.tokens) and self.tokens[self.at] == "(":
            self._expect("(")
            precision = self._next()
            self._expect(",")
            scale = self._next()
            self._expect(")")
            return f"decimal({precision},{scale})"
        if word not in _SIMPLE:
            raise ByzerError(f"unknown type '{word}' in the schema: {self.text}")
        return _SIMPLE[word]


def parse_schema(text: str) -> StructType:
    """The struct type ``text`` describes (st(...), JSON, or DDL); needs an active Spark session."""
    from pyspark.sql.types import DataType, StructType

    stripped = text.strip()
    if not stripped:
        raise ByzerError("the schema is empty")
    if stripped.startswith("{"):
        try:
            parsed: DataType = StructType.fromJson(json.loads(stripped))
        except (ValueError, KeyError, TypeError) as exc:
            raise ByzerError(f"cannot read the JSON schema: {exc}") from None
    else:
        ddl = _SimpleSchema(stripped).ddl() if re.match(r"(?i)st\s*\(", stripped) else stripped
        try:
            parsed = StructType.fromDDL(ddl)
        except Exception as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ByzerError(f"cannot read the schema '{stripped}': {first}") from None
    if not isinstance(parsed, StructType):
        raise ByzerError(f"the schema must describe a struct of columns, not {parsed.simpleString()}")
    return parsed
