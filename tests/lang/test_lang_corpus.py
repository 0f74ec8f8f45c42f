"""Whole scripts: each ``corpus/valid/NAME.byzer`` parses to exactly ``NAME.expected.json`` (``analyze``);
each ``corpus/broken/NAME.byzer`` fails at the line and column of ``NAME.expected.json``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from byzer_engine.lang import analyze, parse_script
from byzer_engine.lang.errors import ByzerSyntaxError

CORPUS = Path(__file__).parent / "corpus" / "valid"
SCRIPTS = sorted(CORPUS.glob("*.byzer"))
BROKEN_CORPUS = Path(__file__).parent / "corpus" / "broken"
BROKEN = sorted(BROKEN_CORPUS.glob("*.byzer"))


def _expected(script: Path) -> object:
    return json.loads(script.with_suffix("").with_suffix(".expected.json").read_text(encoding="utf-8"))


def test_corpus_is_there() -> None:
    assert len(SCRIPTS) >= 55
    assert len(BROKEN) >= 25
    assert len(SCRIPTS) + len(BROKEN) >= 80


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_script_parses_to_expected_statements(script: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CORPUS)  # file names (and included files) stay relative, as a user runs them
    assert analyze(script.read_text(encoding="utf-8"), file=script.name) == _expected(script)


@pytest.mark.parametrize("script", BROKEN, ids=[s.stem for s in BROKEN])
def test_broken_script_fails_at_expected_place(script: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(BROKEN_CORPUS)
    expected = _expected(script)
    assert isinstance(expected, dict)
    with pytest.raises(ByzerSyntaxError) as caught:
        parse_script(script.read_text(encoding="utf-8"), file=script.name)
    error = caught.value
    line, column = expected["line"], expected["column"]
    file = expected.get("file", script.name)  # an error inside an included file names that file
    assert error.position is not None
    assert (error.position.file, error.line, error.column) == (file, line, column), error.render()
    assert expected["message"] in error.message
    offending = (BROKEN_CORPUS / file).read_text(encoding="utf-8").splitlines()[line - 1]
    assert error.render().splitlines() == [
        f"{file}:{line}:{column}: error: {error.message}",
        "    " + offending.expandtabs(1),
        "    " + " " * (column - 1) + "^",
    ]
