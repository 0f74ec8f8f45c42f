"""Whole scripts: each ``corpus/valid/NAME.byzer`` parses to exactly ``NAME.expected.json`` (``analyze``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from byzer_engine.lang import analyze

CORPUS = Path(__file__).parent / "corpus" / "valid"
SCRIPTS = sorted(CORPUS.glob("*.byzer"))


def test_corpus_is_there() -> None:
    assert len(SCRIPTS) >= 20


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_script_parses_to_expected_statements(script: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CORPUS)  # file names (and included files) stay relative, as a user runs them
    expected = json.loads(script.with_suffix("").with_suffix(".expected.json").read_text(encoding="utf-8"))
    assert analyze(script.read_text(encoding="utf-8"), file=script.name) == expected
