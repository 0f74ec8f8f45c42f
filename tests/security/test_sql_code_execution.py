"""No SQL reaches a process, Java reflection or new code on the server without an opt-in switch.

Each construct is refused at analysis time (read from Spark's parsed plan) with a 403 naming it,
wherever the SQL is written: ``select``, raw SQL statements, ``set ... type="sql"``, ``!if``
conditions and ET expressions.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from security_checks import assert_refused, run

REFLECT = "reflect('java.lang.System', 'exit', 0)"


@pytest.mark.parametrize(
    ("script", "construct"),
    [
        (f"select {REFLECT} as a as t;", "reflect"),
        ("select java_method('java.lang.System', 'exit', 0) as a as t;", "java_method"),
        ("select try_reflect('java.lang.System', 'exit', 0) as a as t;", "try_reflect"),
        (
            "select * from (select 1 as x) where x = length(REFLECT('java.lang.System', 'exit', 0)) as t;",
            "reflect",
        ),
        ("select transform(1) using 'touch /tmp/byzer-pwned' as (b) as t;", "TRANSFORM"),
        ("select 1 as a as s;\nselect transform(a) using 'id' as (b string) from s as t;", "TRANSFORM"),
        ("create temporary view pwned as select transform(1) using 'id' as (b);", "TRANSFORM"),
        (f"create table pwned_t using parquet as select {REFLECT} as a;", "reflect"),
        (f"set v = '''select {REFLECT}''' where type=\"sql\";", "reflect"),
        (f"!if ''' {REFLECT} is null ''';\nselect 1 as a as t;\n!fi;", "reflect"),
        (f"!if ''' select {REFLECT} as :x; :x is null ''';\nselect 1 as a as t;\n!fi;", "reflect"),
        (f"select 1 as a as t;\n!assert t ''':a == 1 and {REFLECT} is null''' \"never\";", "reflect"),
        ("create temporary function pwn as 'org.apache.hadoop.hive.ql.udf.UDFReflect';", "CREATE FUNCTION"),
        ("create function pwn2(x int) returns int return x + 1;", "CREATE FUNCTION"),
        ("set q = \"reflect\"; \nselect ${q}('java.lang.System', 'exit', 0) as a as t;", "reflect"),
    ],
)
def test_sql_that_runs_code_is_refused(http: httpx.Client, alive: None, script: str, construct: str) -> None:
    body = assert_refused(run(http, script), construct, "not allowed")
    assert "--allow-" in str(body["message"])


def test_the_refused_command_never_ran(http: httpx.Client) -> None:
    run(http, "select transform(1) using 'touch /tmp/byzer-pwned' as (b) as t;")
    assert not Path("/tmp/byzer-pwned").exists()


def test_plain_functions_and_words_like_them_still_work(http: httpx.Client) -> None:
    script = (
        "select 'reflect' as reflect, upper('java_method') as m, transform(array(1, 2), x -> x + 1) as arr"
        " as t;"
    )
    response = run(http, script)
    assert response.status_code == 200, response.text
    assert response.json() == [{"reflect": "reflect", "m": "JAVA_METHOD", "arr": [2, 3]}]
