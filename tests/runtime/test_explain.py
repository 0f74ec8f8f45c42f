"""EXPLAIN of scripts: plans of what would run, in a copy of the session; nothing that writes runs."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from byzer_engine.errors import ByzerSyntaxError
from byzer_engine.runtime import Engine

SCRIPT = """\
select id, concat('n', id) as name from range(5) as people;
set greeting = "hello";
set n = `select count(*) from people` where type="sql";
select upper(name) as shout, "${greeting}" as g from people where id > 1 as loud;
save overwrite loud as json.`explained_out`;
train people as RandomForest.`explained_model` where labelCol="id";
insert into no_such_table select * from people;
"""


def _owner() -> str:
    return f"explain_{uuid.uuid4().hex[:8]}"


def test_a_whole_script_is_explained_and_nothing_writes(engine: Engine) -> None:
    owner = _owner()
    rows = engine.run_script(SCRIPT, owner=owner, explain=True).rows
    assert [(r["step"], r["kind"]) for r in rows] == [
        (1, "select"),
        (2, "set"),
        (3, "set"),
        (4, "select"),
        (5, "save"),
        (6, "run"),
        (7, "sql"),
    ]
    by_step = {r["step"]: r for r in rows}
    assert by_step[1]["action"] == "defines view people" and "Physical Plan" in by_step[1]["plan"]
    assert by_step[3]["action"] == "sets n (not evaluated by explain)"
    # A later statement sees the earlier views and variables, and Spark's plan shows its work.
    assert "Filter" in by_step[4]["plan"] and "hello" in by_step[4]["plan"]
    assert "not run by explain" in by_step[5]["action"] and "Filter" in by_step[5]["plan"]
    assert by_step[6]["action"].startswith("train people as RandomForest")
    assert "no_such_table" in (by_step[7]["note"] or "") + by_step[7]["plan"]  # explained, not a failure
    home = Path(engine.home_of(owner))
    assert not (home / "explained_out").exists() and not (home / "explained_model").exists()
    # The views explain defined were its own: the owner's session has none of them.
    with pytest.raises(Exception, match="TABLE_OR_VIEW_NOT_FOUND"):
        engine.run_script("select * from loud as again;", owner=owner)


def test_explain_keeps_the_owners_views_as_they_were(engine: Engine) -> None:
    owner = _owner()
    engine.run_script("select 'kept' as v as mine;", owner=owner)
    engine.run_script("select 'replaced' as v as mine;", owner=owner, explain=True)
    assert engine.run_script("select * from mine as out;", owner=owner).rows == [{"v": "kept"}]


def test_the_explain_statement_runs_nothing_and_takes_sparks_modes(engine: Engine) -> None:
    owner = _owner()
    rows = engine.run_script(
        "select 1 as a as t;\nexplain formatted select a + 1 as b from t as t2;\nexplain save overwrite t as json.`x`;",
        owner=owner,
    ).rows
    assert len(rows) == 1 and rows[0]["kind"] == "save"  # the last statement's table is the result
    first = engine.run_script(
        "select 1 as a as t;\nexplain formatted select a + 1 as b from t;", owner=owner
    ).rows
    assert first[0]["action"] == "query" and "(1)" in first[0]["plan"]  # formatted plans number nodes
    with pytest.raises(Exception, match="TABLE_OR_VIEW_NOT_FOUND"):
        engine.run_script("select * from t2 as again;", owner=owner)
    assert not (Path(engine.home_of(owner)) / "x").exists()


def test_explain_without_a_statement_is_a_syntax_error() -> None:
    from byzer_engine import lang

    with pytest.raises(ByzerSyntaxError, match="expected a statement to explain") as info:
        lang.parse_script("select 1 as a as t;\nexplain ;", file="s.byzer")
    assert "s.byzer:2:" in info.value.render()


def test_byzer_run_explain_prints_a_report(tmp_path: Path) -> None:
    script = tmp_path / "job.byzer"
    script.write_text("select 1 as a as t;\nsave overwrite t as json.`out`;\n")
    command = [
        sys.executable,
        "-c",
        "from byzer_engine.cli import main; main()",
        "run",
        str(script),
        "--explain",
    ]
    done = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    assert "[1] line 1: select 1 as a as t" in done.stdout and "[2] line 2: save" in done.stdout
    assert "not run by explain" in done.stdout and "Physical Plan" in done.stdout
    assert not (tmp_path / "out").exists()
