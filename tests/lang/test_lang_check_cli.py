"""``byzer check``: one line per statement, ``--json``, and syntax errors on stderr with exit status 2."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from byzer_engine.cli.check import check
from byzer_engine.lang import analyze

RUNNER = CliRunner()
# The command as the `byzer` app registers it, next to another command (as run and serve are there).
app = typer.Typer()
app.command()(check)
app.command("version")(lambda: None)
SCRIPT = """load csv.`/data/a.csv` where header="true" as a;
select x.id from a as x as out;
save overwrite out as parquet.`/tmp/out`;
!desc out;
"""


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_lists_statements(tmp_path: Path) -> None:
    file = _write(tmp_path, "ok.byzer", SCRIPT)
    result = RUNNER.invoke(app, ["check", file])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines == [
        f"{file}:1:1  load  csv.`/data/a.csv` as a",
        f"{file}:2:1  select  -> out (reads a)",
        f"{file}:3:1  save  out -> parquet.`/tmp/out` (overwrite)",
        f"{file}:4:1  macro  !desc out",
    ]


def test_json_matches_analyze(tmp_path: Path) -> None:
    file = _write(tmp_path, "ok.byzer", SCRIPT)
    result = RUNNER.invoke(app, ["check", "--json", file])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == analyze(SCRIPT, file=file)


def test_syntax_error_exits_2_with_caret(tmp_path: Path) -> None:
    good = _write(tmp_path, "good.byzer", "select 1 as a as t;")
    bad = _write(tmp_path, "bad.byzer", 'select 1 as a as t;\nload csv.`/a`\n   where x="1" oops t;\n')
    result = RUNNER.invoke(app, ["check", good, bad])
    assert result.exit_code == 2
    assert f"{good}:1:1  select  -> t" in result.stdout
    assert result.stderr.splitlines() == [
        f"{bad}:3:16: error: expected 'and' or 'as' after load options",
        '       where x="1" oops t;',
        "                   ^",
    ]


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = RUNNER.invoke(app, ["check", str(tmp_path / "nope.byzer")])
    assert result.exit_code == 2
    assert "cannot read the file" in result.stderr
