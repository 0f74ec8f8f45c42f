"""The declared result schema of Python code: ``st(field(...))``, Spark JSON, ``file`` or a DDL list.

``parse_schema`` gives a Spark ``StructType``; it travels to Ray workers as JSON
(``StructType.json()``) and ``rows_to_table`` turns the rows user code returns into an Arrow table of
exactly that schema, failing with ``SchemaMismatch`` that names the column and the value's type.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from byzer_engine.lang.errors import ByzerError

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql.types import DataType, StructType

FILE_SCHEMA = "st(field(start,long),field(offset,long),field(value,binary))"

_SIMPLE = {
    "string": "StringType",
    "integer": "IntegerType",
    "int": "IntegerType",
    "long": "LongType",
    "bigint": "LongType",
    "short": "ShortType",
    "byte": "ByteType",
    "float": "FloatType",
    "double": "DoubleType",
    # Byzer reads decimal as double.
    "decimal": "DoubleType",
    "boolean": "BooleanType",
    "date": "DateType",
    "timestamp": "TimestampType",
    "binary": "BinaryType",
}
_TOKEN = re.compile(r"\s*(?:([A-Za-z_][A-Za-z0-9_]*)|([(),])|`([^`]*)`)")


class SchemaError(ByzerError):
    """The ``schema`` conf is not a schema."""


class SchemaMismatch(ByzerError):
    """A value returned by user code does not fit the declared schema."""


class _Reader:
    """A recursive-descent reader of the ``st(field(NAME,TYPE),...)`` language."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[str] = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            match = _TOKEN.match(text, pos)
            if not match or match.end() == pos:
                raise SchemaError(f"schema {text!r}: unexpected {text[pos:].strip()[:20]!r}")
            self.tokens.append(match.group(1) or match.group(2) or match.group(3) or "")
            pos = match.end()
        self.index = 0

    def peek(self) -> str:
        return self.tokens[self.index] if self.index < len(self.tokens) else ""

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if not token or (expected is not None and token != expected):
            wanted = f"'{expected}'" if expected else "more"
            raise SchemaError(f"schema {self.text!r}: expected {wanted}, found {token or 'the end'!r}")
        self.index += 1
        return token

    def data_type(self) -> DataType:
        from pyspark.sql import types as T

        word = self.take()
        lowered = word.lower()
        if lowered in _SIMPLE:
            return getattr(T, _SIMPLE[lowered])()  # type: ignore[no-any-return]
        if lowered == "array":
            self.take("(")
            element = self.data_type()
            self.take(")")
            return T.ArrayType(element)
        if lowered == "map":
            self.take("(")
            key = self.data_type()
            self.take(",")
            value = self.data_type()
            self.take(")")
            return T.MapType(key, value)
        if lowered == "st":
            return self.struct_body()
        raise SchemaError(f"schema {self.text!r}: unknown type {word!r}")

    def struct_body(self) -> StructType:
        from pyspark.sql import types as T

        self.take("(")
        fields: list[T.StructField] = []
        while True:
            self.take("field")
            self.take("(")
            name = self.take()
            self.take(",")
            fields.append(T.StructField(name, self.data_type()))
            self.take(")")
            if self.peek() == ",":
                self.take(",")
                continue
            break
        self.take(")")
        return T.StructType(fields)


def parse_schema(text: str, ddl_parser: Any = None) -> StructType:
    """The ``StructType`` of a schema conf; ``ddl_parser(text)`` reads DDL lists (Spark's parser)."""
    from pyspark.sql.types import StructType

    stripped = text.strip()
    if not stripped:
        raise SchemaError("the schema is empty")
    if stripped.lower() == "file":
        stripped = FILE_SCHEMA
    if stripped.startswith("{"):
        try:
            return StructType.fromJson(json.loads(stripped))
        except (ValueError, KeyError, TypeError) as exc:
            raise SchemaError(f"schema is not a Spark JSON schema: {exc}") from None
    if re.match(r"st\s*\(", stripped, re.I):
        reader = _Reader(stripped)
        reader.take()
        schema = reader.struct_body()
        if reader.peek():
            raise SchemaError(f"schema {stripped!r}: unexpected {reader.peek()!r} after the schema")
        return schema
    if ddl_parser is None:
        raise SchemaError(f"schema {stripped!r}: a DDL list needs Spark to read it")
    try:
        parsed = ddl_parser(stripped)
    except Exception as exc:
        raise SchemaError(f"schema {stripped!r} is not st(field(...)), JSON or a DDL list: {exc}") from None
    if not isinstance(parsed, StructType):
        raise SchemaError(f"schema {stripped!r} is not a list of columns")
    return parsed


def schema_from_json(text: str) -> StructType:
    from pyspark.sql.types import StructType

    return StructType.fromJson(json.loads(text))


def arrow_schema(schema: StructType) -> pa.Schema:
    from pyspark.sql.pandas.types import to_arrow_schema

    return to_arrow_schema(schema, prefers_large_types=False)


def _python_type(value: Any) -> str:
    return type(value).__name__


def _convert_column(name: str, values: list[Any], arrow_type: pa.DataType) -> pa.Array:
    import pyarrow as pa

    if pa.types.is_floating(arrow_type):
        # An int where a double is declared is what a Byzer user means (Spark casts it too).
        values = [float(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in values]
    try:
        return pa.array(values, type=arrow_type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, TypeError, ValueError) as exc:
        for value in values:
            try:
                pa.array([value], type=arrow_type)
            except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, TypeError, ValueError):
                raise SchemaMismatch(
                    f"column '{name}' is declared {arrow_type} but a row has {value!r} "
                    f'(a Python {_python_type(value)}); fix the schema in !python conf "schema=..." '
                    "or the value"
                ) from None
        raise SchemaMismatch(f"column '{name}' ({arrow_type}): {exc}") from None


def _columns_of(rows: Sequence[Mapping[str, Any]], names: list[str]) -> list[list[Any]]:
    """Values by column: by name when the keys are the schema's names, else by position (Byzer's way)."""
    first = rows[0]
    if not isinstance(first, Mapping):
        raise SchemaMismatch(f"a result row must be a dict, not a {_python_type(first)}: {first!r}")
    keys = list(first.keys())
    if set(keys) == set(names):
        try:
            return [[row[name] for row in rows] for name in names]
        except KeyError as exc:
            raise SchemaMismatch(f"a result row has no column {exc.args[0]!r}") from None
        except TypeError:
            bad = next(row for row in rows if not isinstance(row, Mapping))
            raise SchemaMismatch(f"a result row must be a dict, not a {_python_type(bad)}") from None
    if len(keys) != len(names):
        missing = [n for n in names if n not in keys]
        extra = [k for k in keys if k not in names]
        raise SchemaMismatch(
            f"the rows have columns {keys} but the schema declares {names}"
            + (f" (missing: {', '.join(missing)})" if missing else "")
            + (f" (not declared: {', '.join(map(str, extra))})" if extra else "")
        )
    columns: list[list[Any]] = [[] for _ in names]
    for row in rows:
        if not isinstance(row, Mapping):
            raise SchemaMismatch(f"a result row must be a dict, not a {_python_type(row)}: {row!r}")
        values = list(row.values())
        if len(values) != len(names):
            raise SchemaMismatch(f"a result row has {len(values)} columns, the schema {len(names)}: {row!r}")
        for column, value in zip(columns, values, strict=True):
            column.append(value)
    return columns


def rows_to_table(rows: Sequence[Mapping[str, Any]], schema: pa.Schema) -> pa.Table:
    """An Arrow table of ``schema`` from row dicts; ``SchemaMismatch`` names the column that fails."""
    import pyarrow as pa

    if not rows:
        return schema.empty_table()
    names = list(schema.names)
    columns = _columns_of(rows, names)
    arrays = [
        _convert_column(name, values, schema.field(name).type)
        for name, values in zip(names, columns, strict=True)
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def chunked(rows: Iterable[Any], size: int) -> Iterable[list[Any]]:
    chunk: list[Any] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


__all__ = [
    "FILE_SCHEMA",
    "SchemaError",
    "SchemaMismatch",
    "arrow_schema",
    "chunked",
    "parse_schema",
    "rows_to_table",
    "schema_from_json",
]
