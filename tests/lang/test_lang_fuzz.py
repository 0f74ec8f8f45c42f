"""Generated and mutated scripts: the front end returns statements or raises ``ByzerSyntaxError``, never
anything else (no IndexError, RecursionError... reaching a user as a traceback)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from byzer_engine.lang import expand_macro, parse_script, parse_statement, render
from byzer_engine.lang.errors import ByzerSyntaxError
from byzer_engine.lang.statements import Macro, Statement

FRAGMENTS = [
    'load csv.`/tmp/a.csv` where header="true" as t',
    "load jdbc.`db.t` options and k='''v;''' as `x-y`",
    "select a, count(*) from t as x group by a as out",
    "select /*+ BROADCAST(d) */ * from f join d on f.k = d.k as j",
    "select ${col} from ${tbl} where d = '${date.toString(\"yyyy\")}' as o",
    'select\n#foreach($c in ["a","b"])\n sum($c),\n#end\n1 from t as v',
    'save overwrite t as parquet.`/o` where fileNum="2" partitionBy a, b',
    "save errorIfExists t as json.`/o`",
    'set a = "x" where type="text" and mode="compile"',
    'set n = `select 1` where type="sql"',
    "set b = '''multi\nline'''",
    'connect jdbc where url="jdbc:x" as db',
    'run command as LLM.`` where action="infer" and udfName="chat"',
    'train t as RandomForest.`/m` where fitParam.0.labelCol="l" as o',
    "register ET.`/m` as f",
    "include local.`lib/x`",
    "insert into t select * from s",
    "create table x (a int) using parquet",
    "!desc t",
    "!loadX a.csv t",
    "!hdfs -ls /tmp/a",
    "!assert t ''':a > 1''' \"msg\"",
    "!if ''':a == 1'''",
    "!else",
    "!fi",
    "-- comment; with ;",
    "/* block ; comment */",
    "",
]
NOISE = st.text(alphabet="abc `'\"\\;$#{}()[]!-/*+=,.\n\t:_0123456789éλ", max_size=40)


@st.composite
def scripts(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=6))
    text = ";\n".join(parts) + draw(st.sampled_from([";", "", ";;", "\n"]))
    for _ in range(draw(st.integers(0, 3))):  # mutate: insert noise, delete or cut somewhere
        if not text:
            break
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "cut"]))
        if action == "insert":
            text = text[:at] + draw(NOISE) + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 8)) :]
        else:
            text = text[:at]
    return text


def _only_syntax_errors(call: object) -> list[Statement]:
    try:
        result = call()  # type: ignore[operator]
    except ByzerSyntaxError as error:
        assert error.position is None or error.position.line >= 1
        error.render()
        return []
    return result if isinstance(result, list) else [result]


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scripts())
def test_parse_script_only_raises_syntax_errors(text: str) -> None:
    statements = _only_syntax_errors(lambda: parse_script(text, skip_include=True))
    for statement in statements:
        statement.to_dict()


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(scripts(), NOISE))
def test_parse_statement_only_raises_syntax_errors(text: str) -> None:
    _only_syntax_errors(lambda: parse_statement(text, file="f.byzer", line=3, column=4))


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        scripts(), NOISE, st.sampled_from(["#if($a == 1)x#elseif($b)y#else z#end", "#set($l = [1..3])$l"])
    ),
    st.dictionaries(st.sampled_from(["a", "b", "tbl", "date", "tpl"]), NOISE, max_size=4),
)
def test_render_only_raises_syntax_errors(text: str, variables: dict[str, str]) -> None:
    rendered = _only_syntax_errors(lambda: [render(text, variables)])
    assert all(isinstance(r, str) for r in rendered)


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.one_of(st.sampled_from(["a", "_", "-k", "v", "named", "t"]), NOISE), max_size=5),
    st.sampled_from(
        ["desc", "show", "kill", "println", "assert", "cache", "uncache", "lastCommand", "byzerllm", "m"]
    ),
    st.one_of(NOISE, st.sampled_from(FRAGMENTS), st.just("load csv.`{0}` as {1:t}; !m {}")),
)
def test_expand_macro_only_raises_syntax_errors(args: list[str], name: str, template: str) -> None:
    quoted = " ".join("'''" + a.replace("'", "") + "'''" for a in args)
    macro = _only_syntax_errors(lambda: parse_statement(f"!{name} {quoted}"))
    if macro and isinstance(macro[0], Macro):
        _only_syntax_errors(lambda: expand_macro(macro[0], {"m": template}))
