"""The examples of PYTHON.md, on real Spark and real Ray, through ``Engine.run_script``."""

from __future__ import annotations

from typing import Any

import pytest

from byzer_engine.runtime import Engine

OWNER = "py_examples"

EXAMPLE_1 = """select "world" as hello as t1;
!python conf "schema=st(field(hello,string))";
!python conf "runIn=driver";
!python conf "dataMode=model";
run command as Ray.`` where inputTable="t1" and outputTable="o" and code='''
from pyjava.api.mlsql import RayContext, PythonContext
rc = RayContext.connect(globals(), None)
rows = list(rc.collect())
for row in rows:
    row["hello"] = "python"
context.build_result(rows)
''';
select * from o as out;
"""

EXAMPLE_2 = """select 0.0d as label, 1.0d as x union all select 0.0d, 2.0d union all select 1.0d, 3.0d as t;
!python conf "dataMode=model";
!python conf "runIn=executor";
!python conf "schema=st(field(label,double),field(n,long))";
run command as Ray.`` where inputTable="t" and outputTable="o" and code='''
from pyjava.api.mlsql import RayContext
df = RayContext.connect(globals(), None).to_pandas()
g = df.groupby("label").size()
context.build_result([{"label": float(k), "n": int(v)} for k, v in g.items()])
''';
select * from o order by label as out;
"""

EXAMPLE_3 = """!python conf "schema=st(field(i,long),field(sq,long))";
!python conf "dataMode=model";
run command as Ray.`` where inputTable="command" and outputTable="o" and code='''
context.build_result({"i": i, "sq": i*i} for i in range(3))
''';
select * from o order by i as out;
"""

EXAMPLE_4 = """select 1L as a union all select 2L as a as t;
!python conf "dataMode=data";
!python conf "schema=st(field(a,long),field(tag,string))";
run command as Ray.`` where inputTable="t" and outputTable="o" and code='''
from pyjava.api.mlsql import RayContext
rc = RayContext.connect(globals(), "127.0.0.1:10001")
rc.foreach(lambda r: {"a": r["a"], "tag": "n" + str(r["a"])})
''';
select * from o order by a as out;
"""

EXAMPLE_5 = """select "world" as hello as t;
!python conf "schema=st(field(hello,string))";
!python conf "dataMode=model";
!ray on t '''
from pyjava.api.mlsql import RayContext
rc = RayContext.connect(globals(), None)
rows = list(rc.collect())
for row in rows:
    row["hello"] = "python"
context.build_result(rows)
''' named o;
select * from o as out;
"""

EXAMPLE_6 = """register ScriptUDF.`` as echo where lang="python" and dataType="map(string,string)" and code='''def apply(self, m): return m''';
select echo(map("a","b")) as r as out;
"""


def run(engine: Engine, script: str, owner: str = OWNER) -> list[dict[str, Any]]:
    return engine.run_script(script, owner=owner).rows


@pytest.mark.usefixtures("ray_address")
class TestSpecExamples:
    def test_example_1_collect_and_build_result(self, engine: Engine) -> None:
        assert run(engine, EXAMPLE_1) == [{"hello": "python"}]

    def test_example_2_pandas_aggregate(self, engine: Engine) -> None:
        assert run(engine, EXAMPLE_2) == [{"label": 0.0, "n": 2}, {"label": 1.0, "n": 1}]

    def test_example_3_no_input(self, engine: Engine) -> None:
        assert run(engine, EXAMPLE_3) == [{"i": 0, "sq": 0}, {"i": 1, "sq": 1}, {"i": 2, "sq": 4}]

    def test_example_4_foreach_in_data_mode(self, engine: Engine) -> None:
        assert run(engine, EXAMPLE_4) == [{"a": 1, "tag": "n1"}, {"a": 2, "tag": "n2"}]

    def test_example_5_ray_shorthand(self, engine: Engine) -> None:
        assert run(engine, EXAMPLE_5) == [{"hello": "python"}]

    def test_example_6_script_udf(self, engine: Engine) -> None:
        assert run(engine, EXAMPLE_6) == [{"r": {"a": "b"}}]
