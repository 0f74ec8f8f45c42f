"""``expand_macro``: user macros (placeholders, ``_ -key value``) and the built-in macro table."""

from __future__ import annotations

import json

import pytest

from byzer_engine.lang import expand_macro, parse_statement
from byzer_engine.lang.errors import ByzerSyntaxError
from byzer_engine.lang.statements import Load, Macro, RunET, Select


def _macro(text: str) -> Macro:
    statement = parse_statement(text, file="m.byzer", line=3, column=1)
    assert isinstance(statement, Macro)
    return statement


def _expand_one(text: str, variables: dict[str, str] | None = None) -> RunET:
    [statement] = expand_macro(_macro(text), variables or {})
    assert isinstance(statement, RunET)
    return statement


@pytest.mark.parametrize(
    ("text", "table", "et", "path", "options", "output"),
    [
        ("!desc t1", "command", "ShowTableExt", "t1", {}, None),
        ("!show tables", "command", "ShowCommand", "tables", {}, None),
        ("!show et/RandomForest", "command", "ShowCommand", "et/RandomForest", {}, None),
        ("!show et RandomForest", "command", "ShowCommand", "et/RandomForest", {}, None),
        ("!kill job-1", "command", "Kill", "job-1", {}, None),
        ('!println "hello"', "command", "PrintCommand", "", {"message": "hello"}, None),
        (
            "!assert t ''':total == 100''' \"total must be 100\"",
            "t",
            "AssertExt",
            "",
            {"condition": ":total == 100", "message": "total must be 100"},
            None,
        ),
        ("!cache t", "t", "CacheExt", "", {"execute": "cache", "lifeTime": "script"}, None),
        ("!cache t session", "t", "CacheExt", "", {"execute": "cache", "lifeTime": "session"}, None),
        ("!uncache t", "t", "CacheExt", "", {"execute": "uncache"}, None),
        ("!lastCommand named t2", "command", "LastCommand", "", {"name": "t2"}, "t2"),
        (
            "!byzerllm model list",
            "command",
            "ByzerLLM",
            "",
            {"args": json.dumps(["model", "list"])},
            None,
        ),
        (
            '!byzerllm setup "num_gpus=0"',
            "command",
            "ByzerLLM",
            "",
            {"args": json.dumps(["setup", "num_gpus=0"])},
            None,
        ),
        ("!hdfs -ls /tmp", "command", "HDFSCommand", "", {"parameters": json.dumps(["-ls", "/tmp"])}, None),
    ],
)
def test_builtin_macros(
    text: str, table: str, et: str, path: str, options: dict[str, str], output: str | None
) -> None:
    statement = _expand_one(text)
    assert (statement.verb, statement.table, statement.et, statement.path) == ("run", table, et, path)
    assert statement.options == options
    assert statement.output == output
    assert statement.span == _macro(text).span  # expansions keep the macro's span


def test_assert_without_message_gets_one() -> None:
    assert _expand_one("!assert t ''':n > 0'''").options["message"] == "assertion failed: :n > 0"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("!desc", "'!desc' needs more arguments"),
        ("!assert t", "'!assert' needs more arguments"),
        ("!lastCommand t2", "!lastCommand named TABLE"),
        ("!nosuch a b", "unknown macro '!nosuch'"),
    ],
)
def test_macro_errors_point_at_the_macro(text: str, message: str) -> None:
    with pytest.raises(ByzerSyntaxError) as caught:
        expand_macro(_macro(text), {})
    assert message in caught.value.message
    assert (caught.value.line, caught.value.column) == (3, 1)
    assert caught.value.position is not None and caught.value.position.file == "m.byzer"


def test_user_macro_with_numbered_placeholders() -> None:
    variables = {"loadX": "load csv.`{0}` where header='true' as {1}"}
    [statement] = expand_macro(_macro("!loadX /tmp/a.csv t1"), variables)
    assert isinstance(statement, Load)
    assert (statement.path, statement.table, statement.options) == ("/tmp/a.csv", "t1", {"header": "true"})
    assert statement.span.raw == "!loadX /tmp/a.csv t1"


def test_user_macro_with_sequential_defaults_and_all() -> None:
    variables = {
        "pick": "select {} as a, {} as b, '{2:none}' as c as {3:picked}",
        "all": "run command as Echo.`` where args='''{:all}'''",
    }
    [select] = expand_macro(_macro("!pick 1 2"), variables)
    assert isinstance(select, Select)
    assert (select.sql, select.table) == ("select 1 as a, 2 as b, 'none' as c", "picked")
    [run] = expand_macro(_macro("!all x 'y z'"), variables)
    assert isinstance(run, RunET)
    assert json.loads(run.options["args"]) == ["x", "y z"]


def test_user_macro_with_named_arguments() -> None:
    variables = {"loadY": "load ${format}.`${path}` as ${name}"}
    [statement] = expand_macro(_macro("!loadY _ -format json -path /tmp/y.json -name y"), variables)
    assert isinstance(statement, Load)
    assert (statement.format, statement.path, statement.table) == ("json", "/tmp/y.json", "y")


def test_user_macro_may_hold_several_statements_and_other_macros() -> None:
    variables = {"two": "select 1 as a as {0}; !desc {0};"}
    first, second = expand_macro(_macro("!two t9"), variables)
    assert isinstance(first, Select) and first.table == "t9"
    assert isinstance(second, RunET) and second.et == "ShowTableExt" and second.path == "t9"


def test_user_macro_errors_name_the_macro() -> None:
    with pytest.raises(ByzerSyntaxError, match="needs argument 1 but got 1"):
        expand_macro(_macro("!m a"), {"m": "load csv.`{0}` as {1}"})
    with pytest.raises(ByzerSyntaxError, match="in the expansion of macro '!bad'") as caught:
        expand_macro(_macro("!bad a"), {"bad": "load csv.`{0}` az t"})
    assert (caught.value.line, caught.value.column) == (3, 1)
    with pytest.raises(ByzerSyntaxError, match="expands into itself"):
        expand_macro(_macro("!loop"), {"loop": "!loop"})
    with pytest.raises(ByzerSyntaxError, match="'-key value' pairs"):
        expand_macro(_macro("!m _ key value"), {"m": "select 1 as a as t"})
