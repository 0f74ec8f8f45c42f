"""End-to-end scripts: each ``tests/scripts/NAME.byzer`` runs on the shared engine and is checked
against ``NAME.expected.json``.

The expectation is either a JSON array (the rows the script returns, in order) or an object:
  rows        the rows (omit for a failure)
  error       {"kind": ..., "message": text the message contains, "line": N, "column": N}
  unordered   true: compare rows as a multiset
  columns     the result's column names
  messages    what the script printed (``!println``)
  setup       scripts run first by the same owner (``scope="session"`` state)
  variables   extra variables for the script
  config      engine settings for this script (e.g. {"allow_shell": false})

Every script runs as its own owner, so its home (``${HOME}``) and temp views are its own. Variables
set for every script: DATA (tests/scripts/data); pg_url / pg_user / pg_password when the script
mentions ``${pg_``; sqlite_url when it mentions ``${sqlite_``.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime import Engine

SCRIPTS_DIR = Path(__file__).resolve().parents[1] / "scripts"
DATA_DIR = SCRIPTS_DIR / "data"
SCRIPTS = sorted(SCRIPTS_DIR.glob("*.byzer"))


def _expectation(script: Path) -> dict[str, Any]:
    expected = json.loads(script.with_name(script.stem + ".expected.json").read_text())
    return {"rows": expected} if isinstance(expected, list) else dict(expected)


def _variables(text: str, request: pytest.FixtureRequest) -> dict[str, str]:
    variables = {"DATA": str(DATA_DIR)}
    if "${pg_" in text:
        server: Any = request.getfixturevalue("postgres")
        variables.update(pg_url=server.jdbc_url, pg_user=server.user, pg_password=server.password)
    if "${sqlite_" in text:
        variables["sqlite_url"] = f"jdbc:sqlite:{request.getfixturevalue('sqlite_db')}"
    return variables


def _canonical(rows: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(row, sort_keys=True) for row in rows)


def test_every_script_has_an_expectation() -> None:
    assert len(SCRIPTS) >= 40
    missing = [s.name for s in SCRIPTS if not s.with_name(s.stem + ".expected.json").exists()]
    assert missing == []


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_script(
    script: Path, engine: Engine, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _expectation(script)
    text = script.read_text()
    variables = {**_variables(text, request), **expected.get("variables", {})}
    if "config" in expected:
        monkeypatch.setattr(engine, "config", dataclasses.replace(engine.config, **expected["config"]))
    owner = "s_" + re.sub(r"\W", "_", script.stem)
    for setup in expected.get("setup", []):
        engine.run_script(setup, owner=owner, variables=variables)

    if "error" in expected:
        want = expected["error"]
        with pytest.raises(ByzerError) as caught:
            engine.run_script(text, owner=owner, variables=variables, file=script.name)
        error = caught.value
        assert error.kind == want["kind"], error.render()
        assert want["message"] in error.message, error.render()
        assert error.line == want["line"], error.render()
        if "column" in want:
            assert error.column == want["column"], error.render()
        assert error.position is not None and error.position.file == script.name
        return

    result = engine.run_script(text, owner=owner, variables=variables, file=script.name)
    if expected.get("unordered"):
        assert _canonical(result.rows) == _canonical(expected["rows"])
    else:
        assert result.rows == expected["rows"]
    if "columns" in expected:
        assert [f["name"] for f in result.schema["fields"]] == expected["columns"]
    if "messages" in expected:
        assert result.messages == expected["messages"]
