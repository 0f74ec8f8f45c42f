"""Spark schema → MySQL result columns: the wire type, its metadata, and how a value is written.

| Spark type | MySQL column | value on the wire |
|---|---|---|
| ``tinyint`` / ``smallint`` / ``int`` / ``bigint`` | ``TINYINT`` / ``SMALLINT`` / ``INT`` / ``BIGINT`` | the number |
| ``float`` / ``double`` | ``FLOAT`` / ``DOUBLE`` | the number |
| ``decimal(p,s)`` | ``DECIMAL(p,s)`` (precision and scale in the column metadata) | exact digits |
| ``string``, ``varchar(n)``, ``char(n)`` | ``VARCHAR`` (utf8mb4) | the text |
| ``boolean`` | ``TINYINT(1)`` (what MySQL calls ``BOOLEAN``) | ``1`` / ``0`` |
| ``date`` | ``DATE`` | ``yyyy-MM-dd`` |
| ``timestamp`` | ``TIMESTAMP`` | ``yyyy-MM-dd HH:mm:ss[.ffffff]`` in the session time zone |
| ``timestamp_ntz`` | ``DATETIME`` | ``yyyy-MM-dd HH:mm:ss[.ffffff]`` |
| ``binary`` | ``BLOB`` (binary charset) | the bytes |
| ``array`` / ``map`` / ``struct`` | ``JSON`` | the value as JSON text |
| ``void`` (``NULL``) | ``NULL`` | NULL |
| intervals, anything else | ``VARCHAR`` | Spark's text of the value |

NULL is NULL in every column; a nullable Spark field has no ``NOT NULL`` flag.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mysql_mimic import ColumnType, ResultColumn
from mysql_mimic.charset import CharacterSet
from mysql_mimic.types import ColumnDefinition, str_len

if TYPE_CHECKING:
    from pyspark.sql.types import DataType, StructType

Converter = Callable[[Any], Any]
Encoder = Callable[[ResultColumn, Any], bytes]

# The longest VARCHAR MySQL has, in utf8mb4 bytes: what tools show for Spark's unbounded strings.
_TEXT_LENGTH = 65535 * 4
_NO_FLAGS = ColumnDefinition(0)


@dataclass(frozen=True)
class WireType:
    """A MySQL column type with its metadata and its encoders, before it gets a name."""

    kind: ColumnType
    length: int
    type_name: str
    decimals: int = 0
    flags: ColumnDefinition = _NO_FLAGS
    character_set: CharacterSet = CharacterSet.utf8mb4
    # Turns a Spark value into what the encoders take (None: the value goes as it is).
    convert: Converter | None = None
    text_encoder: Encoder | None = None
    binary_encoder: Encoder | None = None

    def named(self, name: str, nullable: bool = True) -> WireColumn:
        # The column's codec stays utf8mb4 (binary has no Python codec); the definition packet says
        # ``character_set``.
        column = ResultColumn(
            name,
            self.kind,
            text_encoder=self.text_encoder,
            binary_encoder=self.binary_encoder,
        )
        flags = self.flags if nullable else self.flags | ColumnDefinition.NOT_NULL_FLAG
        return WireColumn(column, self, flags)


@dataclass(frozen=True)
class WireColumn:
    """One result column: what its definition packet says, and how its values are written."""

    column: ResultColumn
    type: WireType
    flags: ColumnDefinition

    @property
    def name(self) -> str:
        return str(self.column.name)

    @property
    def convert(self) -> Converter | None:
        return self.type.convert


def _text_decimal(_: ResultColumn, value: Any) -> bytes:
    return format(value, "f").encode() if isinstance(value, decimal.Decimal) else str(value).encode()


def _binary_decimal(column: ResultColumn, value: Any) -> bytes:
    return str_len(_text_decimal(column, value))


def _binary_tiny(_: ResultColumn, value: Any) -> bytes:
    return struct.pack("<b", int(value))


def _binary_bool(_: ResultColumn, value: Any) -> bytes:
    return struct.pack("<b", 1 if value else 0)


def _text_bool(_: ResultColumn, value: Any) -> bytes:
    return b"1" if value else b"0"


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, bytes | bytearray):
        return value.hex()
    return str(value)


def _plain(value: Any) -> Any:
    """Spark Rows (structs) as dicts, recursively, for JSON."""
    from pyspark.sql import Row

    if isinstance(value, Row):
        return {key: _plain(item) for key, item in value.asDict().items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return value


def _to_json(value: Any) -> str:
    return json.dumps(_plain(value), default=_json_default, ensure_ascii=False)


# (mysql-mimic numbers NUM_FLAG wrongly, so numeric columns carry no flag of their own.)
_NUM = _NO_FLAGS
_BIN = ColumnDefinition.BINARY_FLAG
_BINARY = CharacterSet.binary

BOOLEAN = WireType(
    ColumnType.TINY, 1, "tinyint(1)", flags=_NUM, text_encoder=_text_bool, binary_encoder=_binary_bool
)
TINYINT = WireType(ColumnType.TINY, 4, "tinyint", flags=_NUM, binary_encoder=_binary_tiny)
SMALLINT = WireType(ColumnType.SHORT, 6, "smallint", flags=_NUM)
INT = WireType(ColumnType.LONG, 11, "int", flags=_NUM)
BIGINT = WireType(ColumnType.LONGLONG, 20, "bigint", flags=_NUM)
FLOAT = WireType(ColumnType.FLOAT, 12, "float", flags=_NUM)
DOUBLE = WireType(ColumnType.DOUBLE, 22, "double", flags=_NUM)
DATE = WireType(ColumnType.DATE, 10, "date", flags=_BIN, character_set=_BINARY)
DATETIME = WireType(ColumnType.DATETIME, 26, "datetime(6)", 6, _BIN, _BINARY)
TIMESTAMP = WireType(
    ColumnType.TIMESTAMP, 26, "timestamp(6)", 6, _BIN | ColumnDefinition.TIMESTAMP_FLAG, _BINARY
)
BLOB = WireType(
    ColumnType.BLOB,
    65535,
    "blob",
    flags=_BIN | ColumnDefinition.BLOB_FLAG,
    character_set=_BINARY,
    convert=bytes,
)
JSON = WireType(ColumnType.JSON, _TEXT_LENGTH, "json", flags=ColumnDefinition.BLOB_FLAG, convert=_to_json)
NULL = WireType(ColumnType.NULL, 0, "null", flags=_BIN, character_set=_BINARY)
VARCHAR = WireType(ColumnType.VAR_STRING, _TEXT_LENGTH, "varchar(65535)")
OTHER = WireType(ColumnType.VAR_STRING, _TEXT_LENGTH, "varchar(65535)", convert=str)


def decimal_type(precision: int, scale: int) -> WireType:
    # The length counts the digits, the sign and the point, as MySQL reports it.
    return WireType(
        ColumnType.NEWDECIMAL,
        precision + (1 if scale else 0) + 1,
        f"decimal({precision},{scale})",
        decimals=scale,
        flags=_NUM,
        text_encoder=_text_decimal,
        binary_encoder=_binary_decimal,
    )


def wire_type(data_type: DataType) -> WireType:
    """The MySQL type of a Spark type (see the table in this module's docstring)."""
    from pyspark.sql import types as T

    simple: list[tuple[type, WireType]] = [
        (T.BooleanType, BOOLEAN),
        (T.ByteType, TINYINT),
        (T.ShortType, SMALLINT),
        (T.IntegerType, INT),
        (T.LongType, BIGINT),
        (T.FloatType, FLOAT),
        (T.DoubleType, DOUBLE),
        (T.DateType, DATE),
        (T.TimestampNTZType, DATETIME),
        (T.TimestampType, TIMESTAMP),
        (T.BinaryType, BLOB),
        (T.ArrayType, JSON),
        (T.MapType, JSON),
        (T.StructType, JSON),
        (T.NullType, NULL),
        (T.StringType, VARCHAR),
        (T.VarcharType, VARCHAR),
        (T.CharType, VARCHAR),
    ]
    if isinstance(data_type, T.DecimalType):
        return decimal_type(data_type.precision, data_type.scale)
    for spark_type, mysql in simple:
        if isinstance(data_type, spark_type):
            return mysql
    return OTHER


def wire_columns(schema: StructType) -> list[WireColumn]:
    return [wire_type(f.dataType).named(f.name, f.nullable) for f in schema.fields]


def row_converter(columns: Sequence[WireColumn]) -> Callable[[Sequence[Any]], Sequence[Any]] | None:
    """What turns a Spark Row into wire values; None when every value goes as it is (the fast path)."""
    converters = [(i, c.convert) for i, c in enumerate(columns) if c.convert is not None]
    if not converters:
        return None

    def convert(row: Sequence[Any]) -> Sequence[Any]:
        values = list(row)
        for index, fn in converters:
            value = values[index]
            if value is not None:
                values[index] = fn(value)
        return values

    return convert


def protocol_column(column: ResultColumn) -> WireColumn:
    """A column the protocol layer made (SHOW, variables): MySQL's default metadata for its type."""
    length = 21 if column.type in (ColumnType.LONGLONG, ColumnType.LONG) else 1024
    kind = WireType(column.type, length, "", character_set=column.character_set)
    return WireColumn(column, kind, ColumnDefinition(0))
