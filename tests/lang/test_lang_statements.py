"""One statement in, the typed statement out: every statement kind and option form, as a table."""

from __future__ import annotations

from typing import Any

import pytest

from byzer_engine.lang import parse_script, parse_statement
from byzer_engine.lang.statements import (
    Branch,
    Connect,
    Include,
    Load,
    Macro,
    MacroArg,
    RawSql,
    Register,
    RunET,
    Save,
    SaveMode,
    Select,
    SetVar,
    ValueKind,
)

# (statement text, expected class, expected fields)
CASES: list[tuple[str, type, dict[str, Any]]] = [
    # -- load ------------------------------------------------------------------------------------
    (
        "load csv.`/tmp/a.csv` as t",
        Load,
        {"format": "csv", "path": "/tmp/a.csv", "table": "t", "options": {}},
    ),
    (
        'load csv.`/tmp/a.csv` where header="true" and inferSchema="true" as t',
        Load,
        {"options": {"header": "true", "inferSchema": "true"}, "table": "t"},
    ),
    (
        "LOAD Csv.`/a` OPTIONS header='true' AS T1",
        Load,
        {"format": "Csv", "options": {"header": "true"}, "table": "T1"},
    ),
    ('load json.`/a` where and k="v" as t', Load, {"options": {"k": "v"}}),
    (
        'load es.`idx` where es.nodes="h1" and es.port="9200" as t',
        Load,
        {"options": {"es.nodes": "h1", "es.port": "9200"}},
    ),
    ("load csv.`/a` where `a-b`=\"x\" and `c d`='y' as t", Load, {"options": {"a-b": "x", "c d": "y"}}),
    ("load csv.`/a` where q='''it's \"quoted\"; ok''' as t", Load, {"options": {"q": 'it\'s "quoted"; ok'}}),
    ('load csv.`/a` where sep="\\t" and esc="\\"" as t', Load, {"options": {"sep": "\\t", "esc": '\\"'}}),
    ("load csv.`/tmp/a b``c.csv` as `my-table`", Load, {"path": "/tmp/a b`c.csv", "table": "my-table"}),
    ("load modelList.`` as models", Load, {"format": "modelList", "path": "", "table": "models"}),
    ("load _mlsql_.`jobs` as jobs", Load, {"format": "_mlsql_", "path": "jobs"}),
    ("load jdbc.`db1.orders` as orders", Load, {"format": "jdbc", "path": "db1.orders"}),
    ("load hive.db.table as t", Load, {"format": "hive", "path": "db.table"}),
    (
        'load csv.`${dir}/a_${date.toString("yyyyMMdd")}.csv` as t_${day}',
        Load,
        {"path": '${dir}/a_${date.toString("yyyyMMdd")}.csv', "table": "t_${day}"},
    ),
    (
        "load csv.`/a` where fileNum=4 and ratio=-1.5 as t",
        Load,
        {"options": {"fileNum": "4", "ratio": "-1.5"}},
    ),
    ('load jsonStr.`data` where multiline="true" as t', Load, {"format": "jsonStr", "path": "data"}),
    # -- select ----------------------------------------------------------------------------------
    ("select 1 as a as t", Select, {"sql": "select 1 as a", "table": "t", "reads": ()}),
    (
        "select * from t as x join u as y on x.id = y.id as out",
        Select,
        {"sql": "select * from t as x join u as y on x.id = y.id", "table": "out", "reads": ("t", "u")},
    ),
    ("SELECT a FROM t AS out", Select, {"sql": "SELECT a FROM t", "table": "out"}),
    ("select * from (select a from t) s as out", Select, {"table": "out", "reads": ("t",)}),
    (
        "with c as (select * from raw) select * from c as out",
        Select,
        {"sql": "with c as (select * from raw) select * from c", "reads": ("raw",)},
    ),
    ("select a from t1 union all select a from t2 as out", Select, {"reads": ("t1", "t2")}),
    (
        "select a, row_number() over (partition by g order by ts) as rn from t as out",
        Select,
        {"table": "out"},
    ),
    ("select * from t as `out-1`", Select, {"table": "out-1"}),
    (
        "select /*+ BROADCAST(d) */ * from f join d on f.k = d.k as out",
        Select,
        {"sql": "select /*+ BROADCAST(d) */ * from f join d on f.k = d.k", "reads": ("f", "d")},
    ),
    (
        "select a /* note; with a semicolon */ from t -- trailing; comment\n as out",
        Select,
        {"sql": "select a /* note; with a semicolon */ from t", "table": "out"},
    ),
    (
        "select 'a;b' as s, \"c;d\" as q from t as out",
        Select,
        {"sql": "select 'a;b' as s, \"c;d\" as q from t"},
    ),
    (
        "select * from db.t1, `my-t`, parquet.`/tmp/p` as out",
        Select,
        {"reads": ("db.t1", "my-t", "parquet./tmp/p")},
    ),
    (
        "select ${col} from ${tbl} where dt = '${today}' as out",
        Select,
        {"sql": "select ${col} from ${tbl} where dt = '${today}'", "reads": ("${tbl}",)},
    ),
    # -- save ------------------------------------------------------------------------------------
    (
        "save t as parquet.`/o`",
        Save,
        {"table": "t", "format": "parquet", "path": "/o", "mode": SaveMode.ERROR_IF_EXISTS},
    ),
    ("save overwrite t as parquet.`/o`", Save, {"mode": SaveMode.OVERWRITE}),
    ("save append t as json.`/o`", Save, {"mode": SaveMode.APPEND}),
    ("save errorIfExists t as csv.`/o`", Save, {"mode": SaveMode.ERROR_IF_EXISTS}),
    ("save ERRORIFEXISTS t as csv.`/o`", Save, {"mode": SaveMode.ERROR_IF_EXISTS}),
    ("save ignore t as csv.`/o`", Save, {"mode": SaveMode.IGNORE}),
    ("save append as csv.`/o`", Save, {"table": "append", "mode": SaveMode.ERROR_IF_EXISTS}),
    (
        'save overwrite t as parquet.`/o` where fileNum="4" partitionBy c1, c2',
        Save,
        {"options": {"fileNum": "4"}, "partition_by": ("c1", "c2")},
    ),
    ("save overwrite t as parquet.`/o` partitionby dt", Save, {"partition_by": ("dt",)}),
    (
        'save overwrite t as jdbc.`db.tbl` options truncate="true"',
        Save,
        {"format": "jdbc", "path": "db.tbl", "options": {"truncate": "true"}},
    ),
    # -- set -------------------------------------------------------------------------------------
    ('set a = "x"', SetVar, {"key": "a", "value": "x", "value_kind": ValueKind.QUOTED, "options": {}}),
    ("set a='x'", SetVar, {"value": "x", "value_kind": ValueKind.QUOTED}),
    (
        "set a = '''line1\nline2; \"q\"'''",
        SetVar,
        {"value": 'line1\nline2; "q"', "value_kind": ValueKind.BLOCK},
    ),
    (
        'set n = `select count(*) from t` where type="sql"',
        SetVar,
        {"value": "select count(*) from t", "value_kind": ValueKind.BACKQUOTED, "options": {"type": "sql"}},
    ),
    (
        'set spark.sql.shuffle.partitions = 8 where type="conf"',
        SetVar,
        {"key": "spark.sql.shuffle.partitions", "value": "8", "value_kind": ValueKind.RAW},
    ),
    ("set x = -1.5", SetVar, {"value": "-1.5", "value_kind": ValueKind.RAW}),
    (
        'set p = "${HOME}/a" where type="defaultParam"',
        SetVar,
        {"value": "${HOME}/a", "options": {"type": "defaultParam"}},
    ),
    (
        'set v = "1" where type="text" and mode="compile" and scope="session"',
        SetVar,
        {"options": {"type": "text", "mode": "compile", "scope": "session"}},
    ),
    ('set ls = `ls /tmp` where type="shell"', SetVar, {"value": "ls /tmp", "options": {"type": "shell"}}),
    ('set x = "1" where visible="un_select"', SetVar, {"options": {"visible": "un_select"}}),
    # -- connect ---------------------------------------------------------------------------------
    (
        'connect jdbc where url="jdbc:postgresql://h/db" and driver="org.postgresql.Driver" as db1',
        Connect,
        {
            "format": "jdbc",
            "alias": "db1",
            "options": {"url": "jdbc:postgresql://h/db", "driver": "org.postgresql.Driver"},
        },
    ),
    ('connect es options es.nodes="h" as es1', Connect, {"format": "es", "alias": "es1"}),
    ('connect jdbc where url="x"', Connect, {"alias": ""}),
    # -- train / run / predict -------------------------------------------------------------------
    (
        'run command as LLM.`` where action="infer" and udfName="chat"',
        RunET,
        {
            "verb": "run",
            "table": "command",
            "et": "LLM",
            "path": "",
            "options": {"action": "infer", "udfName": "chat"},
            "output": None,
        },
    ),
    (
        'train data as RandomForest.`/tmp/m` where keepVersion="true" and fitParam.0.labelCol="label" as out',
        RunET,
        {
            "verb": "train",
            "options": {"keepVersion": "true", "fitParam.0.labelCol": "label"},
            "output": "out",
        },
    ),
    ("predict data as RandomForest.`/tmp/m` as preds", RunET, {"verb": "predict", "output": "preds"}),
    ("run data into ShowTableExt.`` as out", RunET, {"et": "ShowTableExt", "output": "out"}),
    ("run data as ET.`p` into out", RunET, {"output": "out"}),
    ("RUN t AS Kill.`job1`", RunET, {"verb": "run", "et": "Kill", "path": "job1"}),
    (
        'run command as LLM.`` where sft.int.max_seq_length="512" and sft.float.learning_rate="1e-4"',
        RunET,
        {"options": {"sft.int.max_seq_length": "512", "sft.float.learning_rate": "1e-4"}},
    ),
    # -- register --------------------------------------------------------------------------------
    (
        "register RandomForest.`/tmp/m` as rf_predict",
        Register,
        {"et": "RandomForest", "path": "/tmp/m", "function": "rf_predict", "options": {}},
    ),
    (
        "register ScriptUDF.`` as plus where lang=\"python\" and code='''def apply(a, b):\n    return a + b'''",
        Register,
        {"function": "plus", "options": {"lang": "python", "code": "def apply(a, b):\n    return a + b"}},
    ),
    # -- include ---------------------------------------------------------------------------------
    ("include local.`lib/common`", Include, {"type": "local", "path": "lib/common"}),
    ("include project.`etl/load.byzer`", Include, {"type": "project", "path": "etl/load.byzer"}),
    # -- raw SQL ---------------------------------------------------------------------------------
    (
        "insert into t select * from s",
        RawSql,
        {"verb": "insert", "sql": "insert into t select * from s", "reads": ("s",)},
    ),
    (
        "INSERT OVERWRITE TABLE t PARTITION (dt='1') SELECT * FROM s JOIN u ON s.id = u.id",
        RawSql,
        {"verb": "insert", "reads": ("s", "u")},
    ),
    ("create table x as select * from y", RawSql, {"verb": "create", "reads": ("y",)}),
    (
        "create table if not exists x (id int, name string) using parquet",
        RawSql,
        {"verb": "create", "reads": ()},
    ),
    ("drop table if exists x", RawSql, {"verb": "drop", "reads": ()}),
    ("refresh table x", RawSql, {"verb": "refresh"}),
    # -- macros and branches ---------------------------------------------------------------------
    ("!desc t", Macro, {"name": "desc", "args": (MacroArg("t"),)}),
    ("!show et/RandomForest", Macro, {"args": (MacroArg("et/RandomForest"),)}),
    ("!hdfs -ls /tmp/a", Macro, {"name": "hdfs", "args": (MacroArg("-ls"), MacroArg("/tmp/a"))}),
    (
        "!assert t ''':total == 100''' \"total must be 100\"",
        Macro,
        {
            "args": (
                MacroArg("t"),
                MacroArg(":total == 100", ValueKind.BLOCK),
                MacroArg("total must be 100", ValueKind.QUOTED),
            )
        },
    ),
    (
        "!loadX `a b.csv` 't1'",
        Macro,
        {
            "name": "loadX",
            "args": (MacroArg("a b.csv", ValueKind.BACKQUOTED), MacroArg("t1", ValueKind.QUOTED)),
        },
    ),
    (
        '!byzerllm setup "num_gpus=0"',
        Macro,
        {"name": "byzerllm", "args": (MacroArg("setup"), MacroArg("num_gpus=0", ValueKind.QUOTED))},
    ),
    ("!lastCommand named t2", Macro, {"name": "lastCommand", "args": (MacroArg("named"), MacroArg("t2"))}),
    ("!if ''':a == \"x\"'''", Branch, {"branch": "if", "condition": ':a == "x"'}),
    ("!elif ''':a > 1'''", Branch, {"branch": "elif", "condition": ":a > 1"}),
    ("!else", Branch, {"branch": "else", "condition": ""}),
    ("!fi", Branch, {"branch": "fi"}),
    ("!if :a > 1", Branch, {"condition": ":a > 1"}),
]


@pytest.mark.parametrize(("text", "expected_class", "fields"), CASES, ids=[c[0][:60] for c in CASES])
def test_statement_fields(text: str, expected_class: type, fields: dict[str, Any]) -> None:
    statement = parse_statement(text)
    assert type(statement) is expected_class
    for name, value in fields.items():
        assert getattr(statement, name) == value, name
    assert statement.span.raw == text.rstrip(";")


def test_span_is_placed_in_the_file() -> None:
    statement = parse_statement("  select 1 as a\n  as t", file="f.byzer", line=10, column=5)
    span = statement.span
    assert (span.file, span.line, span.column, span.end_line, span.end_column) == ("f.byzer", 10, 7, 11, 6)
    assert span.raw == "select 1 as a\n  as t"


def test_trailing_semicolon_and_comments_are_allowed() -> None:
    assert isinstance(parse_statement("-- lead\nselect 1 as a as t; -- tail"), Select)


def test_output_tables_and_reads() -> None:
    assert parse_statement("load csv.`/a` as t").output_table == "t"
    assert parse_statement("select * from a join b on a.x = b.x as t").tables_read == ("a", "b")
    assert parse_statement("save t as csv.`/o`").tables_read == ("t",)
    assert parse_statement("run t as ET.`` as o").output_table == "o"
    assert parse_statement("set a = '1'").output_table is None


def test_to_dict_is_json_ready() -> None:
    data = parse_statement("save overwrite t as csv.`/o` partitionBy a").to_dict()
    assert data["kind"] == "save"
    assert data["mode"] == "overwrite"
    assert data["partition_by"] == ["a"]
    assert data["line"] == 1 and data["column"] == 1
    macro = parse_statement("!desc t").to_dict()
    assert macro["args"] == [{"value": "t", "value_kind": "raw"}]


def test_crlf_bom_and_unicode_names() -> None:
    first, second = parse_script("\ufeffload csv.`/a` as t;\r\nselect * from t as 结果;\r\n")
    assert isinstance(first, Load) and first.table == "t"
    assert isinstance(second, Select) and second.table == "结果"
    assert (second.span.line, second.span.column) == (2, 1)


def test_bracketed_query_is_a_select() -> None:
    statement = parse_statement("(select 1 as a) union all (select 2 as a) as t")
    assert isinstance(statement, Select)
    assert statement.sql == "(select 1 as a) union all (select 2 as a)"


def test_span_position_lines_up_the_caret() -> None:
    statement = parse_statement("load csv.`/a` as t", line=4, column=9)
    position = statement.span.position()
    assert (position.line, position.column) == (4, 9)
    assert position.line_text.index("load") == 8  # padded to the statement's column
