"""``render``: ``${var}`` / ``$var``, built-in dates, and the Velocity-style directives Byzer users rely on."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from byzer_engine.lang import builtin_variables, render
from byzer_engine.lang.errors import ByzerSyntaxError
from byzer_engine.lang.jodatime import format_joda

DAY = date(2024, 3, 5)
VARIABLES = {
    **builtin_variables("alice", "/home/alice", DAY),
    "db": "sales",
    "tbl": "orders",
    "n": "5",
    "flag": "false",
    "csv": "a,b,c",
    "tpl": "select {0} from {1}",
}

CASES: list[tuple[str, str]] = [
    ("select * from ${tbl} as t", "select * from orders as t"),
    ("select * from $tbl as t", "select * from orders as t"),
    ("$db.$tbl and ${db}.x", "sales.orders and sales.x"),
    ("${unknown} $unknown stays", "${unknown} $unknown stays"),
    ("$!unknown|$!{unknown}|", "||"),
    ("${HOME}/data and $OWNER", "/home/alice/data and alice"),
    (
        "${today} ${yesterday} ${tomorrow} ${theDayBeforeYesterday}",
        "2024-03-05 2024-03-04 2024-03-06 2024-03-03",
    ),
    ('${date.toString("yyyyMMdd")}', "20240305"),
    ('${date.toString("yyyy-MM-dd HH:mm:ss")}', "2024-03-05 00:00:00"),
    ('${date.minusDays(1).toString("yyyy-MM-dd")}', "2024-03-04"),
    ('${date.plusMonths(1).toString("yyyy/MM")}', "2024/04"),
    ("${db.toUpperCase()}", "SALES"),
    ("$db.toUpperCase()", "SALES"),
    ('$csv.split(",").size()', "3"),
    ('${template.get("tpl", "a0", "t1")}', "select a0 from t1"),
    ("get_json_object(j, '$.a.b')", "get_json_object(j, '$.a.b')"),
    (
        "split(name, \"#\") and '#tag' and #endpoint and a # b",
        "split(name, \"#\") and '#tag' and #endpoint and a # b",
    ),
    ("price$ and $ alone and $1", "price$ and $ alone and $1"),
    ("#set($x = 1 + 2)$x", "3"),
    ('#set($greeting = "hi $OWNER")$greeting', "hi alice"),
    ("#set($raw = 'hi $OWNER')$raw", "hi $OWNER"),
    ("#foreach($i in [1..3])$i,#end", "1,2,3,"),
    ("#foreach($i in [3..1])$i#end", "321"),
    ('#foreach($c in ["a", "b"])${c}_x#if($foreach.hasNext), #end#end', "a_x, b_x"),
    ('#foreach($c in $csv.split(","))$velocityCount$c#end', "1a2b3c"),
    ('#if($OWNER == "alice")yes#else no#end', "yes"),
    ('#if($OWNER != "alice")yes#else no#end', " no"),
    ("#if($n > 3 && $n <= 5)mid#end", "mid"),
    ("#if($n == 5)five#end", "five"),
    ('#if($OWNER == "bob")bob#elseif($OWNER == "alice")alice#else other#end', "alice"),
    ("#if($flag)on#{else}off#end", "off"),
    ("#if($missing)on#{else}off#end", "off"),
    ("#if(!$missing)none#end", "none"),
    ("#{if}($n gt 1)big#{else}small#{end}", "big"),
    ("#if($n > 1)#if($n > 9)huge#{else}big#end#end", "big"),
    ('#set($m = {"k": "v"})$m.k $m.get("k")', "v v"),
    ("#set($l = [1, 2])$l $l.size() $l.get(1)", "[1, 2] 2 2"),
    ("a #end b #else c", "a #end b #else c"),
]


@pytest.mark.parametrize(("template", "expected"), CASES, ids=[c[0][:50] for c in CASES])
def test_render(template: str, expected: str) -> None:
    assert render(template, VARIABLES) == expected


def test_foreach_generates_one_aggregate_per_column() -> None:
    template = (
        "select\n"
        '#set($cols = ["features", "label"])\n'
        "#foreach($c in $cols)\n"
        "  sum($c) as ${c}_sum#if($foreach.hasNext),#end\n"
        "#end\n"
        "from t as out"
    )
    assert (
        render(template, {})
        == "select\n  sum(features) as features_sum,\n  sum(label) as label_sum\nfrom t as out"
    )


def test_dates_without_builtins_use_today() -> None:
    before = datetime.now()
    compact, dashed = render('${date.toString("yyyyMMdd")}|${today}', {}).split("|")
    after = datetime.now()  # the two reads straddle midnight at most once
    assert compact in (before.strftime("%Y%m%d"), after.strftime("%Y%m%d"))
    assert dashed in (before.strftime("%Y-%m-%d"), after.strftime("%Y-%m-%d"))


def test_builtin_variables() -> None:
    variables = builtin_variables("bob", "/data/bob", DAY)
    assert variables["today"] == "2024-03-05"
    assert variables["yesterday"] == "2024-03-04"
    assert variables["tomorrow"] == "2024-03-06"
    assert variables["theDayBeforeYesterday"] == "2024-03-03"
    assert variables["HOME"] == "/data/bob"
    assert variables["OWNER"] == "bob"
    assert variables["date"].startswith("2024-03-05")


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("yyyyMMdd", "20240305"),
        ("yy-M-d", "24-3-5"),
        ("yyyy-MM-dd'T'HH:mm:ss.SSS", "2024-03-05T14:07:09.123"),
        ("EEE, dd MMM yyyy", "Tue, 05 Mar 2024"),
        ("EEEE MMMM", "Tuesday March"),
        ("hh a", "02 PM"),
        ("D", "65"),
        ("'quoted' ''", "quoted '"),
    ],
)
def test_joda_patterns(pattern: str, expected: str) -> None:
    assert format_joda(datetime(2024, 3, 5, 14, 7, 9, 123000), pattern) == expected


def test_directive_alone_on_its_line_takes_the_line() -> None:
    assert render("a\n  #set($x = 1)\nb $x\n", {}) == "a\nb 1\n"


@pytest.mark.parametrize(
    ("template", "line", "column", "message"),
    [
        ("#if($a", 1, 1, "missing its closing ')'"),
        ("select\n#foreach($a in $b) x", 2, 1, "'#foreach' without a matching '#end'"),
        ("#set(a = 1)", 1, 1, "expected '#set($name = value)'"),
        ("#if($a ==) x #end", 1, 10, "invalid template expression"),
        ("#if($a) x #else y", 1, 1, "'#if' without a matching '#end'"),
    ],
)
def test_template_errors(template: str, line: int, column: int, message: str) -> None:
    with pytest.raises(ByzerSyntaxError) as caught:
        render(template, {}, file="s.byzer")
    assert (caught.value.line, caught.value.column) == (line, column)
    assert message in caught.value.message
    assert caught.value.position is not None and caught.value.position.file == "s.byzer"


def test_template_errors_are_placed_in_the_script() -> None:
    with pytest.raises(ByzerSyntaxError) as caught:
        render("select #if($x", {}, file="s.byzer", line=4, column=3)
    assert (caught.value.line, caught.value.column) == (4, 10)


def test_runaway_templates_stop() -> None:
    assert len(render("#foreach($i in [1..999999999])x#end", {})) == 100_000
    assert render('${template.get("t")}', {"t": '${template.get("t")}'}).startswith("${template.get")
