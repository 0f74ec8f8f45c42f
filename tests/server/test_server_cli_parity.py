"""The server answers exactly what ``byzer run --format json`` prints for the same script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

TYPED_SCRIPT = """\
set greeting = "hello";
select 1 as i, cast(2 as bigint) as l, 1.5D as d, cast(1.25 as decimal(10, 2)) as dec,
       true as b, null as n, 'ünï "quoted"' as s, "${greeting}" as g,
       cast('2024-01-02' as date) as dt, cast('2024-01-02 03:04:05' as timestamp) as ts,
       array(1, 2) as arr, map('k', 'v') as m, named_struct('x', 1, 'y', array('z')) as st,
       cast('NaN' as double) as nan
as typed;
"""


def byzer_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BYZER_")}
    command = [sys.executable, "-c", "from byzer_engine.cli import main; main()", "run", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env, timeout=600, check=False)


def test_server_rows_equal_the_cli_json(http: httpx.Client, tmp_path: Path) -> None:
    response = http.post("/run/script", data={"sql": TYPED_SCRIPT})
    assert response.status_code == 200, response.text
    local = byzer_cli("-e", TYPED_SCRIPT, "--format", "json", cwd=tmp_path)
    assert local.returncode == 0, local.stderr
    assert json.loads(local.stdout) == response.json()
    row = response.json()[0]
    assert row["dt"] == "2024-01-02" and row["st"] == {"x": 1, "y": ["z"]} and row["n"] is None


def test_cli_through_the_server_prints_the_same(
    server_url: str, token: str, http: httpx.Client, tmp_path: Path
) -> None:
    remote = byzer_cli(
        "-e", TYPED_SCRIPT, "--format", "json", "--server", server_url, "--token", token, cwd=tmp_path
    )
    assert remote.returncode == 0, remote.stderr
    assert json.loads(remote.stdout) == http.post("/run/script", data={"sql": TYPED_SCRIPT}).json()


def test_cli_through_the_server_reports_errors_with_position(
    server_url: str, token: str, tmp_path: Path
) -> None:
    script = tmp_path / "broken.byzer"
    script.write_text("select 1 as a as t;\nload csv.`x.csv` t;\n")
    remote = byzer_cli(str(script), "--server", server_url, "--token", token, cwd=tmp_path)
    assert remote.returncode == 2
    assert f"{script}:2:" in remote.stderr and "^" in remote.stderr
