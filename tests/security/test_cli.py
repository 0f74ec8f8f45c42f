"""``byzer run`` keeps its documented defaults (any path, code allowed) and reports a file that is
not UTF-8 text cleanly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def byzer_run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BYZER_")}
    command = [sys.executable, "-c", "from byzer_engine.cli import main; main()", "run", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env, timeout=600, check=False)


def test_a_file_that_is_not_utf8_is_a_clean_error(tmp_path: Path) -> None:
    script = tmp_path / "latin1.byzer"
    script.write_bytes("select 'caf\xe9' as a as t;\n".encode("latin-1"))
    result = byzer_run(str(script), cwd=tmp_path)
    assert result.returncode == 2
    assert "not UTF-8 text" in result.stderr and "offset 11" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_the_cli_allows_any_path_by_default(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "lib.byzer").write_text("select 'included' as i as inc;\n")
    (outside / "data.txt").write_text("line one\n")
    work = tmp_path / "work"
    work.mkdir()
    script = (
        f"include local.`{outside}/lib`;\n"
        f"select value from text.`{outside}/data.txt` as t;\n"
        "select t.value, inc.i from t cross join inc as out;"
    )
    result = byzer_run("-e", script, "--format", "json", cwd=work)
    assert result.returncode == 0, result.stderr
    assert '"line one"' in result.stdout and '"included"' in result.stdout
