"""The distributed data path: partitions to Ray data servers, user functions on them, back to Spark;
pandas and scikit-learn inside a script; settings that persist for the owner; the notebook cell."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from byzer_engine.runtime import Engine

pytestmark = pytest.mark.usefixtures("ray_address")
OWNER = "py_data"

MAP_ITER = """select id as a from range(0, 200000, 1, 4) as big;
!python conf "dataMode=data";
!python conf "schema=st(field(a,long),field(b,long),field(server,string))";
run command as Ray.`` where inputTable="big" and outputTable="mapped" and keepPartitionNum="true" and code='''
import ray
from pyjava.api.mlsql import RayContext
rc = RayContext.connect(globals(), None)
def double(rows):
    me = ray.get_runtime_context().get_actor_id()
    for row in rows:
        yield {"a": row["a"], "b": row["a"] * 2, "server": me}
rc.map_iter(double)
''';
select count(*) as n, sum(b) as total, count(distinct server) as servers,
       sum(case when b = a * 2 then 0 else 1 end) as wrong from mapped as out;
"""


def test_map_iter_200k_rows_over_several_partitions(engine: Engine) -> None:
    rows = engine.run_script(MAP_ITER, owner=OWNER).rows
    assert rows == [{"n": 200000, "total": 2 * sum(range(200000)), "servers": 4, "wrong": 0}]


SKLEARN = """select cast(id as double) as x, cast(case when id % 10 >= 5 then 1 else 0 end as double) as y
from range(0, 200) as train;
!python conf "dataMode=model";
!python conf "schema=st(field(x,double),field(prediction,double))";
run command as Ray.`` where inputTable="train" and outputTable="predictions" and code='''
import numpy as np
from sklearn.tree import DecisionTreeClassifier
from pyjava.api.mlsql import RayContext
df = RayContext.connect(globals(), None).to_pandas()
features = np.column_stack([df["x"] % 10])
model = DecisionTreeClassifier(random_state=0).fit(features, df["y"])
df["prediction"] = model.predict(features).astype(float)
context.build_result_from_dataframe(df[["x", "prediction"]])
''';
select count(*) as n, sum(case when prediction = y then 1 else 0 end) as right
from predictions join train using (x) as out;
"""


def test_scikit_learn_model_in_a_script(engine: Engine) -> None:
    pytest.importorskip("sklearn")
    assert engine.run_script(SKLEARN, owner=OWNER).rows == [{"n": 200, "right": 200}]


def test_settings_persist_for_the_owner_and_replace(engine: Engine) -> None:
    owner = "py_settings"
    table = engine.run_script('!python conf "schema=st(field(a,long))";', owner=owner).rows
    assert {"k": "schema", "v": "st(field(a,long))", "config": "conf"} in table
    engine.run_script('set col="v";\n!python conf "schema=st(field(:col,string))";', owner=owner)
    env = engine.run_script('!python env "GREETING=hi";', owner=owner).rows
    assert env == [{"k": "GREETING", "v": "hi", "config": "env"}]
    # A later script sees both: the replaced schema and the environment variable.
    script = """run command as Ray.`` where inputTable="command" and outputTable="o" and code='''
import os
context.build_result([{"v": os.environ["GREETING"] + " " + context.conf["OWNER"]}])
''';"""
    assert engine.run_script(script, owner=owner).rows == [{"v": "hi py_settings"}]


def test_code_runs_in_the_owners_home_in_its_own_process(engine: Engine) -> None:
    script = """!python conf "schema=st(field(cwd,string),field(pid,long))";
run command as Ray.`` where inputTable="command" and outputTable="o" and code='''
import os
context.build_result([{"cwd": os.getcwd(), "pid": os.getpid()}])
''';"""
    first = engine.run_script(script, owner="py_home_a").rows[0]
    second = engine.run_script(script, owner="py_home_b").rows[0]
    assert Path(first["cwd"]) == Path(engine.home_of("py_home_a"))
    assert Path(second["cwd"]) == Path(engine.home_of("py_home_b"))
    assert first["pid"] != second["pid"] and os.getpid() not in (first["pid"], second["pid"])


def test_pyjava_alias_stays_inside_the_worker(engine: Engine) -> None:
    import sys

    engine.run_script(
        '!python conf "schema=st(field(a,long))";\n'
        "!ray on command '''\nimport pyjava\ncontext.build_result([{\"a\": 1}])\n''' named o;",
        owner=OWNER,
    )
    assert "pyjava" not in sys.modules


CELL = """#%python
#%input=cell_in
#%output=cell_out
#%schema=st(field(a,long),field(a2,long))
#%dataMode=model
from pyjava.api.mlsql import RayContext
rows = RayContext.connect(globals(), None).collect()
context.build_result({"a": r["a"], "a2": r["a"] * r["a"]} for r in rows)
"""


def test_notebook_cell(engine: Engine) -> None:
    engine.run_script("select 3L as a as cell_in;", owner="py_cell")
    result = engine.run_script(CELL, owner="py_cell")
    assert result.rows == [{"a": 3, "a2": 9}]
    assert engine.run_script("select * from cell_out as x;", owner="py_cell").rows == [{"a": 3, "a2": 9}]


def test_legacy_python_on_runs_per_partition(engine: Engine) -> None:
    script = """select id as a from range(0, 10, 1, 2) as parts;
!python conf "schema=st(field(n,long))";
!python on parts '''
context.build_result([{"n": sum(1 for _ in context.fetch_once_as_rows())}])
''' named counts;
select sum(n) as total, count(*) as partitions from counts as out;"""
    rows = engine.run_script(script, owner="py_legacy").rows
    assert rows == [{"total": 10, "partitions": 1}] or rows == [{"total": 10, "partitions": 2}]


def test_file_schema_round_trip(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "weights.txt").write_text("1 2 3")
    script = f"""!python conf "schema=file";
!python conf "dataMode=model";
run command as Ray.`` where inputTable="command" and outputTable="packed" and code='''
context.build_result_from_dir("{folder}")
''';
!python conf "schema=st(field(content,string))";
run command as Ray.`` where inputTable="packed" and outputTable="unpacked" and code='''
import os, tempfile
from pyjava.api.mlsql import RayContext
target = tempfile.mkdtemp()
RayContext.connect(globals(), None).fetch_as_dir(target)
context.build_result([{{"content": open(os.path.join(target, "weights.txt")).read()}}])
''';"""
    assert engine.run_script(script, owner="py_file").rows == [{"content": "1 2 3"}]
