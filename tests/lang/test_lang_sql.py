"""SQL bodies: valid Spark is never rejected (even where sqlglot fails), surely broken SQL is, and the
tables a query reads come out the same from the fast token path and from sqlglot."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from byzer_engine.lang import parse_statement
from byzer_engine.lang.errors import ByzerSyntaxError
from byzer_engine.lang.source import Source
from byzer_engine.lang.sqlreads import fast_raw_reads, fast_reads, scan_reads, sqlglot_reads
from byzer_engine.lang.statements import RawSql, Select
from byzer_engine.lang.tokens import HINT, tokenize

# Valid Spark SQL (checked with Spark's own parser) that the parser must accept, with the tables read.
VALID_SPARK: list[tuple[str, tuple[str, ...]]] = [
    ("select a, e from t lateral view explode(arr) x as e", ("t",)),
    ("select x.* from t1 lateral view outer explode(m) x as k, v", ("t1",)),
    ("select /*+ BROADCAST(d) */ * from f join d on f.k = d.k", ("f", "d")),
    ("select /*+ REPARTITION(8), COALESCE(2) */ * from t", ("t",)),
    ("select transform(arr, x -> x + 1), filter(xs, x -> x > 1) from t", ("t",)),
    ("select aggregate(xs, 0, (acc, x) -> acc + x) as total from t", ("t",)),
    ("select TRANSFORM(a, b) USING 'cat' AS (c, d) FROM t", ("t",)),
    ("select * from t distribute by a sort by b", ("t",)),
    ("select * from t cluster by a", ("t",)),
    ("select * from t pivot (sum(v) for k in ('a', 'b'))", ("t",)),
    ("select * from t tablesample (10 percent)", ("t",)),
    ("select a from t window w as (partition by g order by ts)", ("t",)),
    ("select a, count(*) from t group by a with rollup", ("t",)),
    ("select a, b, sum(c) from t group by grouping sets ((a), (b))", ("t",)),
    ("select * from t1 left semi join t2 on t1.a = t2.a", ("t1", "t2")),
    ("select * from t1 left anti join t2 on t1.a = t2.a", ("t1", "t2")),
    ("select * from values (1, 2), (3, 4) as v(a, b)", ()),
    ("select * from range(10)", ()),
    ("select explode(sequence(1, 10)) as n", ()),
    ("select named_struct('a', 1).a, map('k', 'v')['k'], array(1, 2)[0]", ()),
    ("select cast(a as decimal(10, 2)), a::int from t", ("t",)),
    ("select get_json_object(j, '$.a.b') from t where a rlike '^x'", ("t",)),
    ("select extract(year from ts), trim(both ' ' from s) from events", ("events",)),
    ("select date_add(current_date(), 1), interval 1 day", ()),
    ("select '''block''' as s from t", ("t",)),
    ("select split(name, '#') from t", ("t",)),
    ("select * from t where", ("t",)),  # Spark reads `where` as an alias here
    ("select * from t order", ("t",)),
    ("select * from t limit", ("t",)),
    ("select * from parquet.`/tmp/p` join csv.`/tmp/c.csv`", ("parquet./tmp/p", "csv./tmp/c.csv")),
    (
        "with a as (select * from raw), b as (select * from a) select * from b join dim on b.k = dim.k",
        ("raw", "dim"),
    ),
    ("with recursive r as (select 1) select * from r", ()),
    ("select * from (select * from t1) x, (select * from t2) y", ("t1", "t2")),
    (
        "select (select max(v) from m) as mx, a from t where exists (select 1 from u where u.a = t.a)",
        ("m", "t", "u"),
    ),
    ("select a from t1 union select a from t2 except select a from t3", ("t1", "t2", "t3")),
    ("select * from t1 natural join t2 cross join t3", ("t1", "t2", "t3")),
    ("select t2.x from t1 join `t2` on t1.id = t2.id", ("t1", "t2")),
    ("select a from t qualify row_number() over (partition by a order by b) = 1", ("t",)),
]


@pytest.mark.parametrize(("sql", "reads"), VALID_SPARK, ids=[v[0][:60] for v in VALID_SPARK])
def test_valid_spark_is_accepted(sql: str, reads: tuple[str, ...]) -> None:
    statement = parse_statement(f"{sql} as out")
    assert isinstance(statement, Select)
    assert statement.sql == sql
    assert statement.reads == reads


@pytest.mark.parametrize(
    ("sql", "reads"),
    [
        ("insert into t select * from s", ("s",)),
        ("insert overwrite table t partition (dt='1') select * from s join u on s.id = u.id", ("s", "u")),
        ("insert into t values (1, 'a')", ()),
        ("create or replace temporary view v as select * from y", ("y",)),
        ("create table t using parquet as select a from (select * from z) q", ("z",)),
        ("cache table c as select * from s", ("s",)),
        ("msck repair table t", ()),
        ("alter table t add columns (c int)", ()),
    ],
)
def test_raw_sql_reads_exclude_the_target(sql: str, reads: tuple[str, ...]) -> None:
    statement = parse_statement(sql)
    assert isinstance(statement, RawSql)
    assert statement.reads == reads


def test_templated_bodies_are_not_checked() -> None:
    # once rendered this may be fine (or not): the runtime re-parses it after rendering
    statement = parse_statement("select ${cols}, from ${tbl} where ${cond} as out")
    assert isinstance(statement, Select)
    assert statement.reads == ("${tbl}",)
    velocity = parse_statement("select #foreach($c in $cols) sum($c), #end 1 from t as out")
    assert isinstance(velocity, Select)


def test_broken_sql_position_is_in_the_file() -> None:
    with pytest.raises(ByzerSyntaxError) as caught:
        parse_statement("select a,\n  b\nfrom t\nwhere (a > 1\nas out", file="q.byzer", line=20, column=1)
    assert (caught.value.line, caught.value.column) == (23, 7)


# -- fast path == sqlglot -----------------------------------------------------------------------
def _tokens(sql: str) -> list:
    return [t for t in tokenize(Source(sql)) if t.kind != HINT]


_NAMES = st.sampled_from(["t1", "t2", "orders", "db.events", "`my-t`", "Users", "c"])
_COLUMNS = st.sampled_from(["a", "b", "x.id", "count(*)", "sum(v)", "extract(year from ts)", "1"])


@st.composite
def _queries(draw: st.DrawFn) -> str:
    def relation() -> str:
        if draw(st.integers(0, 5)) == 0:
            return f"({draw(_simple())}) sq{draw(st.integers(0, 9))}"
        alias = draw(st.sampled_from(["", " x", " as y", " z"]))
        return draw(_NAMES) + alias

    def _simple() -> st.SearchStrategy[str]:
        return st.builds(lambda c, n: f"select {c} from {n}", _COLUMNS, _NAMES)

    query = f"select {', '.join(draw(st.lists(_COLUMNS, min_size=1, max_size=3)))} from {relation()}"
    for _ in range(draw(st.integers(0, 2))):
        kind = draw(st.sampled_from([", ", " join ", " left join ", " cross join "]))
        query += kind + relation() + (" on 1 = 1" if "join" in kind and "cross" not in kind else "")
    if draw(st.booleans()):
        query += f" where a in (select a from {draw(_NAMES)}) and b > 1"
    if draw(st.booleans()):
        query += " group by a order by a limit 5"
    if draw(st.booleans()):
        query = f"with c as (select * from {draw(_NAMES)}) {query}"
    if draw(st.booleans()):
        query += f" union all select a from {draw(_NAMES)}"
    return query


@settings(max_examples=300, deadline=None)
@given(_queries())
def test_fast_reads_agree_with_sqlglot(sql: str) -> None:
    fast = fast_reads(_tokens(sql))
    if fast is not None:
        assert fast == sqlglot_reads(sql)


def test_fast_path_declines_what_it_cannot_read_exactly() -> None:
    for sql in (
        "select extract(year from ts) from t",
        "select * from t lateral view explode(x) e as v",
        "select * from range(10)",
        "with recursive r as (select 1) select * from r",
        "select * from t tablesample (1 rows)",
    ):
        assert fast_reads(_tokens(sql)) is None, sql
    assert fast_reads(_tokens("select * from a, b x join c on a.k = c.k")) == ("a", "b", "c")


def test_best_effort_scan_when_sqlglot_cannot_parse() -> None:
    sql = "select * from t1 join t2 on t1.a = t2.a frobnicate weird syntax"
    assert sqlglot_reads(sql) is None
    assert scan_reads(_tokens(sql)) == ("t1", "t2")


@pytest.mark.parametrize(
    "sql",
    [
        "insert into t select * from s",
        "insert overwrite table t partition (dt='1') select a from s join u on s.k = u.k",
        "insert into t (a, b) select a, b from (select * from s) q",
        "insert into t with c as (select * from s) select * from c",
        "insert into t values (1, 2)",
        "create table x as select * from y",
        "create or replace temporary view v as select * from y where a in (select a from z)",
        "create table t (a int) using parquet",
        "create table t using parquet as select * from y",
        "cache table c as select * from s",
        "drop table if exists t",
        "refresh table t",
    ],
)
def test_fast_raw_reads_agree_with_sqlglot(sql: str) -> None:
    tokens = _tokens(sql)
    fast = fast_raw_reads(tokens[0].text.lower(), tokens)
    assert fast is not None
    assert fast == sqlglot_reads(sql)
