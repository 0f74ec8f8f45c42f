"""Prepared statements: where the ``?`` parameters are, how COM_STMT_EXECUTE carries their values,
and how a value becomes a Spark SQL literal that cannot change the statement around it.

The ``?`` marks are found with sqlglot's Spark tokenizer (so a ``?`` inside a string, a backquoted
name or a comment is not one), and each is replaced by exactly one literal token. A string literal
keeps only ASCII letters, digits, spaces and ``_`` as they are and writes every other character as a
``\\uXXXX`` escape, which Spark's parser decodes: no quote, backslash, ``$``, ``#`` or ``:`` of a
value ever reaches the Byzer templating or the SQL parser as syntax.
"""

from __future__ import annotations

import datetime as dt
import decimal
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from mysql_mimic import ColumnType
from mysql_mimic.errors import ErrorCode, MysqlError
from mysql_mimic.types import (
    Capabilities,
    read_double,
    read_float,
    read_int_1,
    read_int_2,
    read_int_4,
    read_int_8,
    read_str_len,
    read_uint_1,
    read_uint_2,
    read_uint_4,
    read_uint_8,
    read_uint_len,
)

_CURSOR_READ_ONLY = 0x01
_PARAMETER_COUNT_AVAILABLE = 0x08
_INT32 = 2**31
_INT64 = 2**63


@dataclass
class Prepared:
    """A statement prepared on one connection."""

    stmt_id: int
    sql: str
    # Character offsets of each ``?`` in ``sql``.
    marks: list[int]
    # The parameter types the client bound last (a client may send them only once).
    types: list[tuple[ColumnType, bool]] = field(default_factory=list)
    # COM_STMT_SEND_LONG_DATA buffers, by parameter index.
    long_data: dict[int, bytearray] = field(default_factory=dict)

    @property
    def num_params(self) -> int:
        return len(self.marks)


@dataclass(frozen=True)
class Execute:
    stmt: Prepared
    values: list[Any]
    use_cursor: bool


def placeholder_offsets(sql: str) -> list[int]:
    """Where the ``?`` parameter marks are: not inside strings, backquoted names or comments."""
    if "?" not in sql:
        return []
    from sqlglot.dialects.spark import Spark
    from sqlglot.errors import TokenError
    from sqlglot.tokens import TokenType

    try:
        tokens = Spark().tokenize(sql)
    except TokenError as exc:
        raise MysqlError(
            f"cannot find the parameters of this statement: {exc}", ErrorCode.PARSE_ERROR
        ) from exc
    return [token.start for token in tokens if token.token_type == TokenType.PLACEHOLDER]


def bind(sql: str, marks: Sequence[int], values: Sequence[Any], *, mysql: bool = False) -> str:
    """``sql`` with each ``?`` replaced by its value as a literal: a Spark SQL literal, or with
    ``mysql`` (a statement the protocol layer answers in-process) a MySQL one quoted by sqlglot."""
    if len(values) != len(marks):
        raise MysqlError(
            f"the statement has {len(marks)} parameter(s), {len(values)} were sent", ErrorCode.PARSE_ERROR
        )
    parts: list[str] = []
    last = 0
    for offset, value in zip(marks, values, strict=True):
        parts.append(sql[last:offset])
        parts.append(mysql_literal(value) if mysql else literal(value))
        last = offset + 1
    parts.append(sql[last:])
    return "".join(parts)


def _string(text: str) -> str:
    out = []
    for char in text:
        if char.isascii() and (char.isalnum() or char in " _"):
            out.append(char)
        else:
            out.extend(f"\\u{unit}" for unit in _utf16_units(char))
    return "'" + "".join(out) + "'"


def _utf16_units(char: str) -> list[str]:
    encoded = char.encode("utf-16-be").hex().upper()
    return [encoded[i : i + 4] for i in range(0, len(encoded), 4)]


def _signed(text: str) -> str:
    # A negative number in parentheses: "a -?" must not become the comment "a --5".
    return f"({text})" if text.startswith("-") else text


def literal(value: Any) -> str:
    """One Spark SQL literal token (or a parenthesised negative number, or a CAST) for a value."""
    if value is None:
        return "NULL"
    if value is True:
        return "TRUE"
    if value is False:
        return "FALSE"
    if isinstance(value, int):
        suffix = "" if -_INT32 <= value < _INT32 else "L" if -_INT64 <= value < _INT64 else "BD"
        return _signed(f"{value}{suffix}")
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            name = "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
            return f"CAST('{name}' AS DOUBLE)"
        return _signed(f"{value!r}D")
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise MysqlError(f"not a number: {value}", ErrorCode.WRONG_VALUE_FOR_VAR)
        return _signed(f"{format(value, 'f')}BD")
    if isinstance(value, dt.datetime):
        return f"TIMESTAMP'{value.isoformat(sep=' ')}'"
    if isinstance(value, dt.date):
        return f"DATE'{value.isoformat()}'"
    if isinstance(value, dt.timedelta):
        return _string(_time_text(value))
    if isinstance(value, bytes | bytearray):
        return f"X'{bytes(value).hex()}'"
    return _string(str(value))


def mysql_literal(value: Any) -> str:
    if isinstance(value, str):
        from sqlglot import exp

        return exp.Literal.string(value).sql(dialect="mysql")
    return literal(value)


def _time_text(value: dt.timedelta) -> str:
    seconds = abs(value.total_seconds())
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    micros = abs(value).microseconds
    text = f"{'-' if value < dt.timedelta(0) else ''}{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{text}.{micros:06d}" if micros else text


# -- COM_STMT_EXECUTE ------------------------------------------------------------------------------
_STRINGS = {
    ColumnType.VARCHAR,
    ColumnType.VAR_STRING,
    ColumnType.STRING,
    ColumnType.ENUM,
    ColumnType.SET,
    ColumnType.JSON,
}
_BLOBS = {ColumnType.BLOB, ColumnType.TINY_BLOB, ColumnType.MEDIUM_BLOB, ColumnType.LONG_BLOB}
_DECIMALS = {ColumnType.DECIMAL, ColumnType.NEWDECIMAL}
_DATES = {ColumnType.DATE, ColumnType.DATETIME, ColumnType.TIMESTAMP, ColumnType.NEWDATE}


def parse_execute(data: bytes, capabilities: Capabilities, charset: str, find: Any) -> Execute:
    """Reads COM_STMT_EXECUTE (after the command byte); ``find(stmt_id)`` gives the ``Prepared``."""
    reader = io.BytesIO(data)
    stmt: Prepared = find(read_uint_4(reader))
    flags = read_uint_1(reader)
    read_uint_4(reader)  # iteration count, always 1
    count = stmt.num_params
    attributes = Capabilities.CLIENT_QUERY_ATTRIBUTES in capabilities
    if attributes and (count > 0 or flags & _PARAMETER_COUNT_AVAILABLE):
        count = read_uint_len(reader)
    values: list[Any] = []
    if count > 0:
        nulls = reader.read((count + 7) // 8)
        if read_uint_1(reader):
            types = []
            for _ in range(count):
                kind = ColumnType(read_uint_1(reader))
                unsigned = bool(read_uint_1(reader) & 0x80)
                if attributes:
                    read_str_len(reader)  # a name: only query attributes have one
                types.append((kind, unsigned))
            stmt.types = types
        if len(stmt.types) != count:
            raise MysqlError("the parameter types were never sent", ErrorCode.MALFORMED_PACKET)
        for index, (kind, unsigned) in enumerate(stmt.types):
            if nulls[index // 8] & (1 << (index % 8)):
                values.append(None)
            elif index in stmt.long_data:
                values.append(_long_data(stmt.long_data[index], kind, charset))
            else:
                values.append(_read_value(reader, kind, unsigned, charset))
    stmt.long_data = {}
    # Values past the statement's own marks are query attributes: not parameters.
    return Execute(stmt, values[: stmt.num_params], bool(flags & _CURSOR_READ_ONLY))


def _long_data(buffer: bytearray, kind: ColumnType, charset: str) -> Any:
    if kind in _BLOBS:
        return bytes(buffer)
    return _decode_text(bytes(buffer), kind, charset)


def _decode_text(raw: bytes, kind: ColumnType, charset: str) -> Any:
    text = raw.decode(charset)
    if kind in _DECIMALS:
        try:
            return decimal.Decimal(text)
        except decimal.InvalidOperation as exc:
            raise MysqlError(f"not a decimal: {text!r}", ErrorCode.WRONG_VALUE_FOR_VAR) from exc
    return text


def _read_value(reader: io.BytesIO, kind: ColumnType, unsigned: bool, charset: str) -> Any:
    if kind in _STRINGS or kind in _DECIMALS:
        return _decode_text(read_str_len(reader), kind, charset)
    if kind in _BLOBS or kind == ColumnType.BIT or kind == ColumnType.GEOMETRY:
        return read_str_len(reader)
    if kind == ColumnType.TINY:
        return (read_uint_1 if unsigned else read_int_1)(reader)
    if kind in (ColumnType.SHORT, ColumnType.YEAR):
        return (read_uint_2 if unsigned else read_int_2)(reader)
    if kind in (ColumnType.LONG, ColumnType.INT24):
        return (read_uint_4 if unsigned else read_int_4)(reader)
    if kind == ColumnType.LONGLONG:
        return (read_uint_8 if unsigned else read_int_8)(reader)
    if kind == ColumnType.FLOAT:
        return read_float(reader)
    if kind == ColumnType.DOUBLE:
        return read_double(reader)
    if kind == ColumnType.NULL:
        return None
    if kind in _DATES:
        return _read_datetime(reader, date_only=kind == ColumnType.DATE)
    if kind == ColumnType.TIME:
        return _read_time(reader)
    raise MysqlError(f"unsupported parameter type: {kind.name}", ErrorCode.NOT_SUPPORTED_YET)


def _read_datetime(reader: io.BytesIO, date_only: bool) -> dt.date | dt.datetime | None:
    length = read_uint_1(reader)
    if length == 0:
        return None  # MySQL's zero date
    year, month, day = read_uint_2(reader), read_uint_1(reader), read_uint_1(reader)
    hour = minute = second = micro = 0
    if length >= 7:
        hour, minute, second = read_uint_1(reader), read_uint_1(reader), read_uint_1(reader)
    if length >= 11:
        micro = read_uint_4(reader)
    if date_only and length <= 4:
        return dt.date(year, month, day)
    return dt.datetime(year, month, day, hour, minute, second, micro)


def _read_time(reader: io.BytesIO) -> dt.timedelta:
    length = read_uint_1(reader)
    if length == 0:
        return dt.timedelta(0)
    negative = read_uint_1(reader)
    days = read_uint_4(reader)
    hour, minute, second = read_uint_1(reader), read_uint_1(reader), read_uint_1(reader)
    micro = read_uint_4(reader) if length >= 12 else 0
    value = dt.timedelta(days=days, hours=hour, minutes=minute, seconds=second, microseconds=micro)
    return -value if negative else value
