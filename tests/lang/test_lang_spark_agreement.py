"""The SQL checks agree with Spark's own parser: what the front end rejects Spark rejects, and the
Spark constructs it must accept Spark accepts (so the test data itself is right)."""

from __future__ import annotations

from typing import Any

import pytest

from byzer_engine.lang import parse_statement
from byzer_engine.lang.errors import ByzerSyntaxError

# SQL bodies (the part before the final `as NAME`) the front end rejects as surely broken.
REJECTED = [
    "select * from t where (a > 1",
    "select * from t where a > 1)",
    "select a,, b from t",
    "select * from t where a in (1, 2,)",
    "select a from t where x = 1 and",
    "select * from t1 join t2 on",
    "select * from t group by",
    "select * from t order by",
    "select a from t union",
    "select a from t union all",
    "select a from t where b =",
    "select cast(a as) from t",
    "with c as (select 1)",
    "select case when a > 1 then",
    "select * from t left",
    "select * from t cross",
    "select * from t1 join",
    "select a from t where a = 1 group",
    "select a from t where a = 1 limit",
    "select a from t where b is",
    "select a from t.",
    "select",
]
# Odd but valid Spark that the front end must accept.
ACCEPTED = [
    "select * from t where",  # `where` is an alias here
    "select * from t order",
    "select * from t limit",
    "select a, e from t lateral view explode(arr) x as e",
    "select /*+ BROADCAST(d) */ * from f join d on f.k = d.k",
    "select TRANSFORM(a, b) USING 'cat' AS (c, d) FROM t",
    "select transform(arr, x -> x + 1) from t",
    "select * from t distribute by a sort by b",
    "select '''block''' as s",
    "select 1 as and",
    "select * from t where a = 1 and not",
]


def _spark_parses(parser: Any, sql: str) -> bool:
    try:
        parser.parsePlan(sql)
    except Exception:  # py4j wraps Spark's ParseException
        return False
    return True


@pytest.fixture(scope="module")
def spark_parser(engine: Any) -> Any:
    return engine.spark._jsparkSession.sessionState().sqlParser()


@pytest.mark.parametrize("sql", REJECTED)
def test_rejected_bodies_are_rejected_by_spark_too(sql: str, spark_parser: Any) -> None:
    with pytest.raises(ByzerSyntaxError):
        parse_statement(f"{sql} as out")
    assert not _spark_parses(spark_parser, sql)


@pytest.mark.parametrize("sql", ACCEPTED)
def test_accepted_bodies_are_valid_spark(sql: str, spark_parser: Any) -> None:
    parse_statement(f"{sql} as out")
    assert _spark_parses(spark_parser, sql)
