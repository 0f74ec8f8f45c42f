"""Broken scripts: each error names the exact line and column, what was expected, and shows a caret."""

from __future__ import annotations

import pytest

from byzer_engine.lang import parse_script, parse_statement
from byzer_engine.lang.errors import ByzerSyntaxError

# (script, line, column, part of the message)
BROKEN: list[tuple[str, int, int, str]] = [
    ("load csv.`/a` t;", 1, 15, "expected 'as' after load path"),
    (
        'load csv.`/a` where header="true"\n   and x="1" tbl;',
        2,
        14,
        "expected 'and' or 'as' after load options",
    ),
    ("select 1 as a as t;\nload csv `/a` as t;", 2, 10, "expected '.' and a path after 'csv'"),
    ("load csv.;", 1, 10, "expected a path after 'csv.'"),
    ("load csv.`/a` as ;", 1, 18, "expected a table name after 'as'"),
    ("load csv.`/a` as t extra;", 1, 20, "unexpected 'extra' after the table name"),
    ('load csv.`/a` where header="true" and as t;', 1, 39, "expected an option (key=\"value\") after 'and'"),
    ('load csv.`/a` where = "x" as t;', 1, 21, "expected an option (key=\"value\") after 'where'"),
    ("load csv.`/a` where k= as t;", 1, 24, "expected a quoted value after 'k='"),
    ('load csv.`/a` where a="1" b="2" as t;', 1, 27, "expected 'and' between two options"),
    ("select * from t;", 1, 16, "expected 'as TABLE' at the end of the select"),
    ("select * from t where (a > 1 as out;", 1, 23, "'(' is never closed"),
    ("select * from t where a > 1) as out;", 1, 28, "unexpected ')' without a matching '('"),
    ("select a,, b from t as out;", 1, 10, "empty item in a list"),
    ("select * from t where a in (1, 2,) as out;", 1, 33, "empty item in a list"),
    ("select a,\n       , b from t as out;", 2, 8, "empty item in a list: unexpected ',' after ','"),
    ("select a from t\nwhere x = 1 and\n as out;", 2, 13, "nothing follows 'and'"),
    ("select * from t1 join t2 on as out;", 1, 26, "nothing follows 'on'"),
    ("select * from t group by as out;", 1, 23, "nothing follows 'group by'"),
    ("select a from t union as out;", 1, 17, "nothing follows 'union'"),
    ("select a from t where b = as out;", 1, 25, "nothing follows '='"),
    ("select cast(a as) from t as out;", 1, 17, "expected a name or type after 'as'"),
    ("with c as (select 1) as out;", 1, 20, "a WITH clause must be followed by a query"),
    ("select case when a > 1 then as out;", 1, 24, "nothing follows 'then'"),
    ("select * from t left as out;", 1, 17, "nothing follows 'left'"),
    ("save t csv.`/o`;", 1, 8, "expected 'as' after the table name 't'"),
    ("save overwrite t as parquet.`/o` partitionBy a,;", 1, 48, "expected a column name after ','"),
    ("save overwrite t as parquet.`/o` partitionBy a b;", 1, 48, "unexpected 'b' in save statement"),
    ('set a "x";', 1, 7, "expected '=' after the variable name 'a'"),
    ('set = "x";', 1, 5, "expected a variable name after 'set'"),
    ("set a = ;", 1, 9, "expected a value after 'a ='"),
    ('set a = "x" b;', 1, 13, "unexpected 'b' after the value of 'a'"),
    ('connect jdbc where url="x" db1;', 1, 28, "unexpected 'db1' in connect statement"),
    ("run t ET.`x`;", 1, 7, "expected 'as' after the table name 't'"),
    ("train t as ;", 1, 12, "expected an ET name after 'as'"),
    ("register ET.`x` rf;", 1, 17, "expected 'as' and a function name"),
    ("frobnicate t;", 1, 1, "expected a statement"),
    ("! desc t;", 1, 3, "expected a macro name right after '!'"),
    ("!if;", 1, 4, "expected a condition after '!if'"),
    ("!else x;", 1, 7, "'!else' takes no arguments"),
    ("!fi;", 1, 1, "'!fi' without a matching '!if'"),
    ("!if ''':a''';\nselect 1 as a as t;", 1, 1, "'!if' without a matching '!fi'"),
    ("!if ''':a''';\n!else;\n!elif ''':b''';\n!fi;", 3, 1, "'!elif' after '!else'"),
    ("select 'abc as t;", 1, 8, "unterminated string"),
    ('select "abc as t;', 1, 8, "unterminated string"),
    ("load csv.`/a as t;", 1, 10, "unterminated backquoted name"),
    ("select a from t /* unclosed as t;", 1, 17, "unterminated comment"),
    ("set a = '''never closed;", 1, 9, "unterminated block string"),
    ("select 1 as a\n\n   as t;\ninsert into t values;", 4, 15, "nothing follows 'values'"),
    ("drop table;", 1, 6, "nothing follows 'table'"),
    ("create table x (a int;", 1, 16, "'(' is never closed"),
    (
        '-- header; with a semicolon\n/* block;\n comment */\nload csv.`/a`\n  where x="1"\n  az t;',
        6,
        3,
        "expected 'and' or 'as'",
    ),
    ("\tload\tcsv.`/a`\tt;", 1, 16, "expected 'as' after load path"),
]


@pytest.mark.parametrize(("script", "line", "column", "message"), BROKEN, ids=[b[0][:50] for b in BROKEN])
def test_error_position(script: str, line: int, column: int, message: str) -> None:
    with pytest.raises(ByzerSyntaxError) as caught:
        parse_script(script, file="s.byzer")
    error = caught.value
    assert (error.line, error.column) == (line, column), error.render()
    assert message in error.message
    assert error.position is not None and error.position.file == "s.byzer"
    rendered = error.render().splitlines()
    assert rendered[0] == f"s.byzer:{line}:{column}: error: {error.message}"
    assert rendered[1] == "    " + script.splitlines()[line - 1].expandtabs(1)
    assert rendered[2] == "    " + " " * (column - 1) + "^"


def test_error_names_what_was_expected() -> None:
    with pytest.raises(ByzerSyntaxError) as caught:
        parse_script("load csv.`/a` t;")
    assert caught.value.expected == "'as'"
    assert caught.value.to_dict()["kind"] == "syntax error"


def test_parse_statement_offsets_errors_into_the_file() -> None:
    with pytest.raises(ByzerSyntaxError) as caught:
        parse_statement("load csv.`/a`\n  oops t", file="f.byzer", line=7, column=3)
    error = caught.value
    assert (error.line, error.column) == (8, 3)
    with pytest.raises(ByzerSyntaxError) as caught:
        parse_statement("load csv.`/a` oops t", file="f.byzer", line=7, column=3)
    assert (caught.value.line, caught.value.column) == (7, 17)
    # the caret lines up under the offending word, the line padded to the statement's column
    lines = caught.value.render().splitlines()
    assert lines[2].index("^") == lines[1].index("oops")


def test_parse_statement_wants_exactly_one() -> None:
    with pytest.raises(ByzerSyntaxError, match="exactly one statement"):
        parse_statement("select 1 as a as t; select 2 as b as u;")
    with pytest.raises(ByzerSyntaxError, match="found nothing"):
        parse_statement("  -- only a comment\n")
