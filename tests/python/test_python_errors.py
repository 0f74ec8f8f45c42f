"""What a user sees when Python code fails, and that a failed run leaves nothing running on Ray."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from byzer_engine.lang.errors import ByzerAuthError, ByzerRuntimeError, ByzerSyntaxError
from byzer_engine.runtime import Engine

pytestmark = pytest.mark.usefixtures("ray_address")
OWNER = "py_errors"


def run_file(engine: Engine, tmp_path: Path, script: str, owner: str = OWNER) -> None:
    path = tmp_path / "job.byzer"
    path.write_text(script)
    engine.run_script(script, owner=owner, file=str(path))


def byzer_python_actors() -> list[str]:
    import ray

    return [
        a["name"]
        for a in ray.util.list_named_actors(all_namespaces=True)
        if a["name"].startswith("byzer-python-")
    ]


def wait_no_actors() -> list[str]:
    deadline = time.monotonic() + 30
    left = byzer_python_actors()
    while left and time.monotonic() < deadline:
        time.sleep(0.5)
        left = byzer_python_actors()
    return left


USER_EXCEPTION = """select 1L as a union all select 2L as a as t;
!python conf "schema=st(field(a,long))";
!python conf "dataMode=data";
run command as Ray.`` where inputTable="t" and outputTable="o" and code='''
from pyjava.api.mlsql import RayContext
rc = RayContext.connect(globals(), None)
def check(row):
    if row["a"] == 2:
        raise ValueError("two is not allowed")
    return row
rc.foreach(check)
''';
"""


def test_user_exception_shows_user_traceback_at_script_lines(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(ByzerRuntimeError) as caught:
        run_file(engine, tmp_path, USER_EXCEPTION)
    error = caught.value
    assert error.line == 4  # the statement
    message = error.message
    assert "ValueError: two is not allowed" in message
    assert f'File "{tmp_path / "job.byzer"}", line 11, in <module>' in message
    assert f'File "{tmp_path / "job.byzer"}", line 9, in check' in message
    assert 'raise ValueError("two is not allowed")' in message
    # Only the user's frames: nothing of the engine, Ray or Python's own modules.
    assert "byzer_engine" not in message and "site-packages" not in message and "ray/" not in message
    assert wait_no_actors() == []


def test_user_syntax_error_before_anything_runs(engine: Engine, tmp_path: Path) -> None:
    script = """!python conf "schema=st(field(a,long))";
run command as Ray.`` where inputTable="command" and outputTable="o" and code='''
x = 1
if x = 1:
    pass
''';
"""
    with pytest.raises(ByzerSyntaxError) as caught:
        run_file(engine, tmp_path, script)
    error = caught.value
    assert (error.line, error.column) == (4, 4)
    rendered = error.render()
    assert f"{tmp_path / 'job.byzer'}:4:4:" in rendered
    assert "if x = 1:" in rendered
    assert byzer_python_actors() == []


def test_schema_mismatch_names_column_and_type(engine: Engine, tmp_path: Path) -> None:
    script = """!python conf "schema=st(field(a,long),field(b,string))";
!python conf "dataMode=model";
run command as Ray.`` where inputTable="command" and outputTable="o" and code='''
context.build_result([{"a": 1, "b": "x"}, {"a": "not a number", "b": "y"}])
''';
"""
    with pytest.raises(ByzerRuntimeError) as caught:
        run_file(engine, tmp_path, script, owner="py_errors_schema")
    message = caught.value.message
    assert "column 'a'" in message and "'not a number' (a Python str)" in message
    assert "schema" in message
    assert wait_no_actors() == []


def test_no_schema_is_required(engine: Engine) -> None:
    script = """run command as Ray.`` where inputTable="command" and outputTable="o" and code='''
context.build_result([])
''';"""
    with pytest.raises(ByzerRuntimeError, match="Using `!python conf` to specify the python return value"):
        engine.run_script(script, owner="py_errors_no_schema")


def test_foreach_needs_data_mode(engine: Engine) -> None:
    script = """select 1L as a as t;
!python conf "schema=st(field(a,long))";
!python conf "dataMode=model";
!ray on t '''
from pyjava.api.mlsql import RayContext
RayContext.connect(globals(), None).foreach(lambda r: r)
''' named o;"""
    with pytest.raises(ByzerRuntimeError, match="Please setup dataMode as data instead of model"):
        engine.run_script(script, owner="py_errors_mode")


def test_input_can_be_read_once(engine: Engine) -> None:
    script = """select 1L as a as t;
!python conf "schema=st(field(a,long))";
!ray on t '''
from pyjava.api.mlsql import RayContext
rc = RayContext.connect(globals(), None)
list(rc.collect())
list(rc.collect())
''' named o;"""
    with pytest.raises(ByzerRuntimeError, match="input data can only be fetched once"):
        engine.run_script(script, owner="py_errors_once")


def test_failed_run_leaves_no_process_behind(engine: Engine) -> None:
    import psutil

    def worker_processes() -> set[int]:
        return {
            p.pid
            for p in psutil.process_iter(["cmdline"])
            if any("DataServer" in part or "CodeRunner" in part for part in (p.info["cmdline"] or []))
        }

    script = """select id as a from range(0, 100, 1, 2) as t;
!python conf "schema=st(field(a,long))";
!python conf "dataMode=data";
run command as Ray.`` where inputTable="t" and outputTable="o" and keepPartitionNum="true" and code='''
from pyjava.api.mlsql import RayContext
def boom(rows):
    raise RuntimeError("no")
RayContext.connect(globals(), None).map_iter(boom)
''';"""
    with pytest.raises(ByzerRuntimeError, match="RuntimeError: no"):
        engine.run_script(script, owner="py_errors_cleanup")
    assert wait_no_actors() == []
    deadline = time.monotonic() + 30
    while worker_processes() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert worker_processes() == set()


def test_refused_when_code_is_not_allowed(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    monkeypatch.setattr(engine, "config", dataclasses.replace(engine.config, allow_code=False))
    script = """!python conf "schema=st(field(a,long))";
run command as Ray.`` where inputTable="command" and outputTable="o" and code='''
context.build_result([{"a": 1}])
''';"""
    with pytest.raises(ByzerAuthError, match="allow_code"):
        engine.run_script(script, owner="py_errors_refused")
