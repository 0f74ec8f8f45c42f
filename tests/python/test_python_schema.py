"""The schema language of ``!python conf "schema=..."`` and the conversion of result rows to it."""

from __future__ import annotations

import pyarrow as pa
import pytest
from pyspark.sql import types as T

from byzer_engine.python.schema import (
    SchemaError,
    SchemaMismatch,
    arrow_schema,
    parse_schema,
    rows_to_table,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("st(field(a,long))", T.StructType([T.StructField("a", T.LongType())])),
        (
            "st(field(id,long),field(tags,array(string)),field(m,map(string,array(long))))",
            T.StructType(
                [
                    T.StructField("id", T.LongType()),
                    T.StructField("tags", T.ArrayType(T.StringType())),
                    T.StructField("m", T.MapType(T.StringType(), T.ArrayType(T.LongType()))),
                ]
            ),
        ),
        (
            "st(field(s,st(field(x,double),field(d,decimal))),field(b,boolean),field(t,timestamp))",
            T.StructType(
                [
                    T.StructField(
                        "s",
                        T.StructType(
                            [T.StructField("x", T.DoubleType()), T.StructField("d", T.DoubleType())]
                        ),
                    ),
                    T.StructField("b", T.BooleanType()),
                    T.StructField("t", T.TimestampType()),
                ]
            ),
        ),
        (
            "file",
            T.StructType(
                [
                    T.StructField("start", T.LongType()),
                    T.StructField("offset", T.LongType()),
                    T.StructField("value", T.BinaryType()),
                ]
            ),
        ),
    ],
)
def test_schema_language(text: str, expected: T.StructType) -> None:
    assert parse_schema(text) == expected


def test_json_schema() -> None:
    schema = T.StructType([T.StructField("a", T.StringType()), T.StructField("n", T.IntegerType())])
    assert parse_schema(schema.json()) == schema


def test_ddl_goes_to_the_given_parser() -> None:
    seen: list[str] = []

    def ddl(text: str) -> T.StructType:
        seen.append(text)
        return T.StructType([T.StructField("a", T.StringType())])

    assert parse_schema("a string", ddl).names == ["a"]
    assert seen == ["a string"]


@pytest.mark.parametrize("text", ["st(field(a,lng))", "st(field(a,long)", "st(field(a long))", ""])
def test_bad_schema(text: str) -> None:
    with pytest.raises(SchemaError):
        parse_schema(text)


def test_rows_by_name_and_by_position() -> None:
    schema = arrow_schema(parse_schema("st(field(a,long),field(b,string))"))
    by_name = rows_to_table([{"b": "x", "a": 1}], schema)
    assert by_name.to_pylist() == [{"a": 1, "b": "x"}]
    by_position = rows_to_table([{"first": 2, "second": "y"}], schema)
    assert by_position.to_pylist() == [{"a": 2, "b": "y"}]


def test_python_values_map_to_declared_types() -> None:
    schema = arrow_schema(
        parse_schema(
            "st(field(i,long),field(f,double),field(l,array(long)),field(m,map(string,long)),field(y,binary))"
        )
    )
    table = rows_to_table([{"i": 1, "f": 2, "l": [1, 2], "m": {"k": 3}, "y": b"z"}], schema)
    assert table.schema.field("f").type == pa.float64()
    row = table.to_pylist()[0]
    assert row["f"] == 2.0 and row["l"] == [1, 2] and row["m"] == [("k", 3)] and row["y"] == b"z"


def test_mismatch_names_column_and_type() -> None:
    schema = arrow_schema(parse_schema("st(field(a,long),field(b,string))"))
    with pytest.raises(SchemaMismatch, match=r"column 'a' .*'oops' \(a Python str\)"):
        rows_to_table([{"a": 1, "b": "x"}, {"a": "oops", "b": "y"}], schema)
    with pytest.raises(SchemaMismatch, match=r"missing: b"):
        rows_to_table([{"a": 1}], schema)
