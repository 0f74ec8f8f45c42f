"""Notebook storage: names are checked, files stay in the owner's notebooks folder, writes are atomic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from byzer_engine.console.storage import FOLDER, NotebookError, NotebookStore

CELLS = {"cells": [{"kind": "byzer", "source": "select 1 as a as t;"}]}


@pytest.mark.parametrize(
    "name", ["../escape", "..", ".hidden", "a/b", "a\\b", "", " lead", "x" * 101, "nul\x00", "semi;colon"]
)
def test_untrusted_names_are_refused(tmp_path: Path, name: str) -> None:
    store = NotebookStore(tmp_path)
    with pytest.raises(NotebookError) as error:
        store.write(name, CELLS)
    assert error.value.status == 400
    assert not any(tmp_path.rglob("*.json"))


def test_write_read_list_rename_duplicate_delete(tmp_path: Path) -> None:
    store = NotebookStore(tmp_path)
    store.write("sales report", CELLS)
    assert json.loads((tmp_path / FOLDER / "sales report.json").read_text())["cells"] == CELLS["cells"]
    assert [n["name"] for n in store.names()] == ["sales report"]
    assert store.read("sales report")["cells"] == CELLS["cells"]
    store.rename("sales report", "report")
    store.duplicate("report", "report copy")
    assert [n["name"] for n in store.names()] == ["report", "report copy"]
    with pytest.raises(NotebookError) as exists:
        store.write("report", CELLS, create_only=True)
    assert exists.value.status == 409
    store.delete("report")
    with pytest.raises(NotebookError) as missing:
        store.read("report")
    assert missing.value.status == 404
    assert sorted(p.name for p in (tmp_path / FOLDER).iterdir()) == ["report copy.json"]  # no staging left


def test_bad_bodies_are_refused_and_lose_nothing(tmp_path: Path) -> None:
    store = NotebookStore(tmp_path)
    store.write("kept", CELLS)
    for body in (
        {"cells": "x"},
        {"cells": [{"kind": "shell", "source": ""}]},
        {"cells": [{"source": 3}]},
        [],
    ):
        with pytest.raises(NotebookError):
            store.write("kept", body)
    assert store.read("kept")["cells"] == CELLS["cells"]
