"""The ET docs claim nothing that is not there, and leave nothing out: every ET headed in
docs/ets.md or docs/ml.md (``### `Name` ``) and every ``!macro`` they write exists; every registered
ET and built-in macro is named somewhere in docs/*.md."""

from __future__ import annotations

import re
from pathlib import Path

from byzer_engine.lang.macros import BUILTIN_MACROS
from byzer_engine.runtime.ets.registry import ETRegistry

DOCS = Path(__file__).resolve().parents[2] / "docs"
ET_DOCS = ("ets.md", "ml.md")
# `### `Name`` (several names may share a heading: ### `A` / `B`).
_HEADING = re.compile(r"^#{2,4} .*$", re.M)
_BACKQUOTED = re.compile(r"`([A-Za-z][A-Za-z0-9]*)`")
_MACRO = re.compile(r"`!([A-Za-z][A-Za-z0-9]*)")

# Registered names that need no documentation of their own, each with its reason.
UNDOCUMENTED_ETS: dict[str, str] = {}
UNDOCUMENTED_MACROS: dict[str, str] = {}


def _et_doc_texts() -> dict[str, str]:
    return {name: (DOCS / name).read_text() for name in ET_DOCS if (DOCS / name).exists()}


def _all_docs() -> str:
    return "\n".join(path.read_text() for path in sorted(DOCS.glob("*.md")))


def test_every_headed_et_exists() -> None:
    known = set(ETRegistry().names())
    headed = {
        name
        for text in _et_doc_texts().values()
        for heading in _HEADING.findall(text)
        for name in _BACKQUOTED.findall(heading)
    }
    assert "DataSummary" in headed  # the convention is in use
    assert sorted(headed - known) == []


def test_every_macro_written_in_the_et_docs_exists() -> None:
    known = set(BUILTIN_MACROS.names())
    written = {name for text in _et_doc_texts().values() for name in _MACRO.findall(text)}
    assert {"tableRepartition", "split", "emptyTable"} <= written
    assert sorted(written - known) == []


def test_every_registered_et_is_documented() -> None:
    text = _all_docs()
    missing = [
        name
        for name in ETRegistry().names()
        if name not in UNDOCUMENTED_ETS and not re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", text)
    ]
    assert missing == []


def test_every_builtin_macro_is_documented() -> None:
    text = _all_docs()
    missing = [
        name
        for name in BUILTIN_MACROS.names()
        if name not in UNDOCUMENTED_MACROS and not re.search(rf"!{re.escape(name)}(?!\w)", text)
    ]
    assert missing == []


def test_exceptions_are_registered_names_with_reasons() -> None:
    assert all(UNDOCUMENTED_ETS.values()) and all(UNDOCUMENTED_MACROS.values())
    assert set(UNDOCUMENTED_ETS) <= set(ETRegistry().names())
    assert set(UNDOCUMENTED_MACROS) <= set(BUILTIN_MACROS.names())
