"""Notebooks on disk: one JSON file per notebook in ``<owner home>/.notebooks/``, written atomically.

Notebook names come from the browser and are untrusted: a name is 1-100 letters, digits, spaces,
``_``, ``-`` or ``.`` (not starting with ``.``, no ``..``), and the file it maps to is checked to sit
directly in the notebooks folder, so no name reaches another folder.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FOLDER = ".notebooks"
SUFFIX = ".json"
FORMAT_VERSION = 1
MAX_BYTES = 16 * 1024 * 1024
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9 _.-]{0,99}$")
NAME_RULE = "1-100 letters, digits, spaces or '_', '-', '.' (not starting with '.', no '..')"
CELL_KINDS = frozenset({"byzer", "python", "markdown", "chat"})


class NotebookError(Exception):
    """A bad notebook name or body (400), or a missing (404) or existing (409) notebook."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name) or ".." in name or name != name.strip():
        raise NotebookError(f"invalid notebook name {name!r}: use {NAME_RULE}")
    return name


def check_notebook(body: Any) -> dict[str, Any]:
    """The notebook as stored: ``{"version", "cells": [{"kind", "source", ...}], ...}``."""
    if not isinstance(body, dict) or not isinstance(body.get("cells"), list):
        raise NotebookError("a notebook is a JSON object with a 'cells' list")
    for index, cell in enumerate(body["cells"]):
        if not isinstance(cell, dict) or not isinstance(cell.get("source", ""), str):
            raise NotebookError(f"cell {index + 1}: a cell is an object with a 'source' string")
        if cell.get("kind", "byzer") not in CELL_KINDS:
            raise NotebookError(f"cell {index + 1}: kind must be one of {sorted(CELL_KINDS)}")
    return {**body, "version": FORMAT_VERSION}


@dataclass(frozen=True)
class NotebookStore:
    """The notebooks of one owner."""

    home: Path

    @property
    def folder(self) -> Path:
        return self.home / FOLDER

    def path(self, name: str) -> Path:
        target = (self.folder / (check_name(name) + SUFFIX)).resolve()
        if target.parent != self.folder.resolve():
            raise NotebookError(f"invalid notebook name {name!r}: use {NAME_RULE}")
        return target

    def names(self) -> list[dict[str, Any]]:
        if not self.folder.is_dir():
            return []
        found = []
        for file in sorted(self.folder.glob("*" + SUFFIX)):
            name = file.name[: -len(SUFFIX)]
            if _NAME.fullmatch(name):
                found.append({"name": name, "modified": file.stat().st_mtime})
        return sorted(found, key=lambda notebook: str(notebook["name"]).lower())

    def read(self, name: str) -> dict[str, Any]:
        path = self.path(name)
        if not path.is_file():
            raise NotebookError(f"no notebook named {name!r}", 404)
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return {**data, "name": name}

    def write(self, name: str, body: Any, *, create_only: bool = False) -> dict[str, Any]:
        path = self.path(name)
        if create_only and path.exists():
            raise NotebookError(f"a notebook named {name!r} exists already", 409)
        notebook = check_notebook(body)
        notebook.pop("name", None)
        text = json.dumps(notebook, ensure_ascii=False, indent=1)
        if len(text.encode()) > MAX_BYTES:
            raise NotebookError(f"a notebook may be at most {MAX_BYTES} bytes")
        self.folder.mkdir(parents=True, exist_ok=True)
        handle, staged = tempfile.mkstemp(prefix=".tmp-", suffix=SUFFIX, dir=self.folder)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.replace(staged, path)
        except BaseException:
            Path(staged).unlink(missing_ok=True)
            raise
        return {**notebook, "name": name}

    def delete(self, name: str) -> None:
        path = self.path(name)
        if not path.is_file():
            raise NotebookError(f"no notebook named {name!r}", 404)
        path.unlink()

    def rename(self, name: str, new_name: str) -> dict[str, Any]:
        source, target = self.path(name), self.path(new_name)
        if not source.is_file():
            raise NotebookError(f"no notebook named {name!r}", 404)
        if target.exists():
            raise NotebookError(f"a notebook named {new_name!r} exists already", 409)
        os.rename(source, target)
        return self.read(new_name)

    def duplicate(self, name: str, new_name: str) -> dict[str, Any]:
        return self.write(new_name, self.read(name), create_only=True)
