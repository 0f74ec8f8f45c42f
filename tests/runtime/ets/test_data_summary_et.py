"""DataSummary against the figures Byzer's own tests expect for the same tables."""

from __future__ import annotations

import pytest

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime import Engine

ALL = (
    "columnName,ordinalPosition,%25,%75,blankValueRatio,dataLength,dataType,max,maximumLength,mean,median,"
    "min,minimumLength,nonNullCount,nullValueRatio,skewness,totalCount,standardDeviation,standardError,"
    "uniqueValueRatio,categoryCount,primaryKeyCandidate,mode"
)
TS = "timestamp('2021-03-08 18:00:00')"


def _summary(engine: Engine, rows_sql: str, where: str = f'metrics="{ALL}"') -> list[str]:
    script = f"{rows_sql} as t;\nrun t as DataSummary.`` where {where} as s;"
    result = engine.run_script(script, owner="et_data_summary")
    names = [f["name"] for f in result.schema["fields"]]
    return [",".join(row[n] for n in names) for row in result.rows]


def test_people(engine: Engine) -> None:
    sql = " union all ".join(
        f"select '{n}' as name, {a} as age, '{i}' as income, {TS} as date"
        for n, a, i in [
            ("elena", 57, "433000"), ("abe", 50, "433000"), ("AA", 10, "432000"),
            ("cc", 40, "433000"), ("", 30, "434000"), ("bb", 21, "533000"),
        ]
    )  # fmt: skip
    assert _summary(engine, sql) == [
        "name,1,,,,0.1667,5,string,elena,5,,AA,0,5,0.0,,6,,,1.0,5,1,",
        "age,2,23.25,35.0,47.5,0.0,4,integer,57.0,,34.67,10.0,,6,0.0,-0.11,6,17.77,7.26,1.0,0,1,",
        "income,3,,,,0.0,6,string,533000.0,6,,432000.0,6,6,0.0,,6,,,0.6667,4,0,433000.0",
        "date,4,,,,0.0,8,timestamp,2021-03-08 18:00:00,,,2021-03-08 18:00:00,,6,0.0,,6,,,0.1667,1,0,"
        "2021-03-08 18:00:00",
    ]


def test_every_type(engine: Engine) -> None:
    nan = "cast('NaN' as float)"
    rows = [
        ("elena", 57, 57, 110, "433000", "110", "true", "12", "1.123"),
        ("abe", 57, 50, 120, "433000", "120", "true", "2", "1.123"),
        ("AA", 57, 10, 130, "432000", "130", "true", "2", "2.224"),
        ("cc", 0, 40, 100, "", nan, "true", "2", "2"),
        ("", -1, 30, 150, "434000", "150", "true", "2", "3.375"),
        ("bb", 57, 21, 160, "533000", nan, "false", "2", "3.375"),
    ]
    sql = " union all ".join(
        f"select '{name}' as name, {fav} as favoriteNumber, {age} as age, cast({m1} as bigint) as mock_col1, "
        f"'{income}' as income, {TS} as date, cast({m2} as float) as mock_col2, {alive} as alived, "
        f"null as extra, null as extra1, cast({e2} as decimal(38,18)) as extra2, cast({e3} as double) as extra3"
        for name, fav, age, m1, income, m2, alive, e2, e3 in rows
    )
    assert _summary(engine, sql) == [
        "name,1,,,,0.1667,5,string,elena,5,,AA,0,5,0.0,,6,,,1.0,5,1,",
        "favoriteNumber,2,14.25,57.0,57.0,0.0,4,integer,57.0,,37.83,-1.0,,6,0.0,-0.71,6,29.69,12.12,0.5,0,0,57.0",
        "age,3,23.25,35.0,47.5,0.0,4,integer,57.0,,34.67,10.0,,6,0.0,-0.11,6,17.77,7.26,1.0,0,1,",
        "mock_col1,4,112.5,125.0,145.0,0.0,8,long,160.0,,128.33,100.0,,6,0.0,0.22,6,23.17,9.46,1.0,0,1,",
        "income,5,,,,0.1667,6,string,533000.0,6,,432000.0,0,5,0.0,,6,,,0.8,4,0,433000.0",
        "date,6,,,,0.0,8,timestamp,2021-03-08 18:00:00,,,2021-03-08 18:00:00,,6,0.0,,6,,,0.1667,1,0,"
        "2021-03-08 18:00:00",
        "mock_col2,7,117.5,125.0,135.0,0.0,4,float,150.0,,127.5,110.0,,4,0.3333,0.43,6,17.08,8.54,1.0,0,1,",
        "alived,8,,,,0.0,1,boolean,true,,,false,,6,0.0,,6,,,0.3333,2,0,true",
        "extra,9,,,,0.0,,void,,,,,,0,1.0,,6,,,0.0,0,0,",
        "extra1,10,,,,0.0,,void,,,,,,0,1.0,,6,,,0.0,0,0,",
        "extra2,11,2.0,2.0,2.0,0.0,16,decimal(38,18),12.0,,3.67,2.0,,6,0.0,1.79,6,4.08,1.67,0.3333,0,0,2.0",
        "extra3,12,1.34,2.11,3.09,0.0,8,double,3.38,,2.2,1.12,,6,0.0,0.15,6,1.01,0.41,0.6667,0,0,",
    ]


def test_default_metrics_and_approximate_path(engine: Engine) -> None:
    script = (
        "select id, cast(id % 7 as string) as k from range(200) as t;\n"
        'run t as DataSummary.`` where approxThreshold="-1" and roundAt="1" as s;'
    )
    result = engine.run_script(script, owner="et_data_summary")
    names = [f["name"] for f in result.schema["fields"]]
    assert names == ["columnName", "ordinalPosition", "median", "blankValueRatio", "dataLength", "dataType",
                     "max", "maximumLength", "mean", "min", "minimumLength", "nonNullCount", "nullValueRatio",
                     "totalCount", "standardDeviation", "standardError", "uniqueValueRatio",
                     "primaryKeyCandidate", "mode"]  # fmt: skip
    by_column = {row["columnName"]: row for row in result.rows}
    assert by_column["id"]["mean"] == "99.5" and by_column["id"]["max"] == "199.0"
    # the approximate unique ratio of a key is recounted exactly when close to 1
    assert by_column["id"]["primaryKeyCandidate"] == "1" and by_column["id"]["uniqueValueRatio"] == "1.0"
    assert by_column["k"]["primaryKeyCandidate"] == "0" and by_column["k"]["maximumLength"] == "1"
    assert abs(float(by_column["id"]["median"]) - 99.5) <= 2


def test_bad_column_names_and_metrics(engine: Engine) -> None:
    with pytest.raises(ByzerError, match=r"contains '\.' or '`'"):
        engine.run_script("select 1 as `a.b` as t;\nrun t as DataSummary.`` as s;", owner="et_data_summary")
    with pytest.raises(ByzerError, match="unknown metrics average"):
        engine.run_script(
            'select 1 as a as t;\nrun t as DataSummary.`` where metrics="mean,average" as s;',
            owner="et_data_summary",
        )


def test_empty_table(engine: Engine) -> None:
    result = engine.run_script(
        "select 1 as a from range(1) where false as t;\nrun t as DataSummary.`` as s;",
        owner="et_data_summary",
    )
    assert result.rows == [] and result.schema["fields"] == []
