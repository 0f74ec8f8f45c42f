"""Structured output: the JSON schema a request's answer must follow, from a schema or a Spark DDL type.

A request's ``response_format`` is one of:

- a JSON schema (an object, or its JSON text): ``{"type": "object", "properties": {...}}``;
- OpenAI's forms: ``{"type": "json_schema", "json_schema": {"schema": {...}}}`` or
  ``{"type": "json_object"}`` (any JSON object);
- a Spark DDL type: ``struct<name:string,age:int,tags:array<string>>``, or a column list
  ``name string, age int`` (read as a struct).

Every struct field is required and no other field is allowed, so an answer that passes the schema
reads as the struct without a missing or wrongly typed value. Backends constrain decoding with the
schema; ``check_output`` is the last word on an answer (a row that still fails gets an error).
"""

from __future__ import annotations

import json
import re
from typing import Any


class FormatError(ValueError):
    """A response format that means no schema, or an answer that does not follow one."""


_STRING = ("string", "varchar", "char", "date", "timestamp", "timestamp_ntz", "binary")
_INTEGER = ("int", "integer", "bigint", "long", "smallint", "short", "tinyint", "byte")
# The range of each Spark integer type, so an answer always fits its column.
_BITS = {"int": 31, "integer": 31, "smallint": 15, "short": 15, "tinyint": 7, "byte": 7}
_NUMBER = ("float", "double", "real", "decimal", "numeric", "dec")
_BOOLEAN = ("boolean", "bool")
_NOT_NULL = re.compile(r"\s*not\s+null\b", re.IGNORECASE)
_NAME = re.compile(r"\s*(`[^`]+`|[A-Za-z_][A-Za-z0-9_]*)\s*")


def _primitive(name: str) -> dict[str, Any] | None:
    if name in _STRING:
        return {"type": "string"}
    if name in _INTEGER:
        bits = _BITS.get(name, 63)
        return {"type": "integer", "minimum": -(2**bits), "maximum": 2**bits - 1}
    if name in _NUMBER:
        return {"type": "number"}
    if name in _BOOLEAN:
        return {"type": "boolean"}
    return None


class _DdlReader:
    """A recursive-descent reader of Spark's DDL type syntax."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, what: str) -> FormatError:
        return FormatError(f"bad type '{self.text}': {what} at character {self.pos + 1}")

    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def take(self, char: str) -> bool:
        self.skip()
        if self.text.startswith(char, self.pos):
            self.pos += len(char)
            return True
        return False

    def expect(self, char: str) -> None:
        if not self.take(char):
            raise self.fail(f"expected '{char}'")

    def skip_not_null(self) -> None:
        found = _NOT_NULL.match(self.text, self.pos)
        if found is not None:  # every field is required anyway
            self.pos = found.end()

    def name(self) -> str:
        found = _NAME.match(self.text, self.pos)
        if found is None:
            raise self.fail("expected a name")
        self.pos = found.end()
        return found.group(1).strip("`")

    def type(self) -> dict[str, Any]:
        kind = self.name().lower()
        if kind == "array":
            self.expect("<")
            items = self.type()
            self.expect(">")
            return {"type": "array", "items": items}
        if kind == "map":
            self.expect("<")
            key = self.type()
            if key.get("type") != "string":
                raise self.fail("only map<string, ...> can be read from JSON")
            self.expect(",")
            values = self.type()
            self.expect(">")
            return {"type": "object", "additionalProperties": values}
        if kind == "struct":
            self.expect("<")
            schema = self.fields(">")
            self.expect(">")
            return schema
        primitive = _primitive(kind)
        if primitive is None:
            raise self.fail(f"unknown type '{kind}'")
        if self.take("("):  # decimal(10,2), varchar(20)
            while not self.take(")"):
                if self.pos >= len(self.text):
                    raise self.fail("expected ')'")
                self.pos += 1
        return primitive

    def fields(self, end: str | None) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        while True:
            self.skip()
            if end is not None and self.text.startswith(end, self.pos):
                break
            field = self.name()
            self.take(":")
            properties[field] = self.type()
            self.skip_not_null()
            if not self.take(","):
                break
        if not properties:
            raise self.fail("a struct needs at least one field")
        return object_schema(properties)


def object_schema(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def ddl_to_schema(ddl: str) -> dict[str, Any]:
    """The JSON schema of a Spark DDL type (``struct<...>``, ``array<...>``, ``a int, b string``)."""
    reader = _DdlReader(ddl.strip())
    try:
        schema = reader.type()
        reader.skip()
        if reader.pos == len(reader.text):
            return schema
    except FormatError:
        pass
    # Not one type: a column list, ``name string, age int``.
    reader.pos = 0
    schema = reader.fields(None)
    reader.skip()
    if reader.pos != len(reader.text):
        raise reader.fail("unexpected text")
    return schema


def schema_to_ddl(schema: dict[str, Any]) -> str:
    """The Spark type an answer following ``schema`` reads as (for ``from_json``)."""
    if "enum" in schema:
        values = schema["enum"]
        if all(isinstance(v, bool) for v in values):
            return "boolean"
        if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            return "bigint"
        return "string"
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties") or {}
        if not properties:
            extra = schema.get("additionalProperties")
            inner = schema_to_ddl(extra) if isinstance(extra, dict) else "string"
            return f"map<string,{inner}>"
        fields = ",".join(f"`{name}`:{schema_to_ddl(sub)}" for name, sub in properties.items())
        return f"struct<{fields}>"
    if kind == "array":
        items = schema.get("items")
        return f"array<{schema_to_ddl(items) if isinstance(items, dict) else 'string'}>"
    simple = {"string": "string", "integer": "bigint", "number": "double", "boolean": "boolean"}
    if isinstance(kind, str) and kind in simple:
        return simple[kind]
    raise FormatError(f"the schema {json.dumps(schema)[:200]} has no Spark type (give 'type')")


def parse_response_format(value: Any) -> dict[str, Any]:
    """The JSON schema a ``response_format`` value stands for; FormatError when it is none."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise FormatError("request field 'response_format' is empty")
        if text.startswith("{"):
            try:
                value = json.loads(text)
            except ValueError as exc:
                raise FormatError(f"request field 'response_format' is not valid JSON: {exc}") from None
        else:
            return ddl_to_schema(text)
    if not isinstance(value, dict):
        raise FormatError("request field 'response_format' must be a JSON schema or a Spark type")
    if value.get("type") == "json_schema":
        inner = value.get("json_schema")
        schema = inner.get("schema") if isinstance(inner, dict) else None
        if not isinstance(schema, dict):
            raise FormatError("response_format of type json_schema needs json_schema.schema")
        value = schema
    elif value.get("type") == "json_object" and "properties" not in value:
        value = {"type": "object"}
    _check_schema(value)
    return value


def _check_schema(schema: dict[str, Any]) -> None:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise FormatError(f"response_format is not a valid JSON schema: {exc.message}") from None


def canonical_schema(schema: dict[str, Any]) -> str:
    """The schema as compact JSON text, keeping the order of its fields (the order of the answer)."""
    return json.dumps(schema, separators=(",", ":"), ensure_ascii=False)


def check_output(text: str, schema: dict[str, Any]) -> Any:
    """The answer as JSON when it follows ``schema``; FormatError saying where it does not."""
    from jsonschema import Draft202012Validator

    try:
        value = json.loads(text)
    except ValueError as exc:
        raise FormatError(f"the answer is not valid JSON ({exc}): {text[:200]!r}") from None
    error = next(iter(Draft202012Validator(schema).iter_errors(value)), None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "the answer"
        raise FormatError(f"the answer does not follow the schema at {where}: {error.message}")
    return value
