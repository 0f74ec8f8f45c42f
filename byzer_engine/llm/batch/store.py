"""The output folder of a batch: the frozen input, committed chunks and a manifest.

Layout of ``OUT`` (Spark's parquet reader skips names that begin with ``_``, so
``load parquet.`OUT``` sees the chunks only)::

    OUT/_manifest.json          what the batch is (options, input schema, row count)
    OUT/_status.json            how a detached run stands: running, succeeded, killed, failed
    OUT/_input/                 the input with its row ids, frozen by the first run
    OUT/_tmp/                   chunks being written (discarded when a run starts)
    OUT/chunk-00000.parquet     one file per committed chunk: rows [k*chunkRows, (k+1)*chunkRows)

A chunk is committed by renaming its one parquet file into ``OUT``: a rename is atomic on a local
file system, so a chunk file is either whole or absent, and the chunk files present are the truth
about what is done (the manifest never needs updating after a chunk).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from byzer_engine.lang.errors import ByzerError

MANIFEST = "_manifest.json"
STATUS = "_status.json"
INPUT = "_input"
TMP = "_tmp"
_CHUNK = re.compile(r"^chunk-(\d{5,})\.parquet$")
MANIFEST_VERSION = 1


def local_folder(resolved: str) -> Path:
    """The resolved output path as a local folder; other file systems have no atomic rename here."""
    if resolved.startswith("file:"):
        resolved = resolved[len("file:") :]
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]+:", resolved):
        raise ByzerError(f"LLMBatch writes to a local folder; '{resolved}' is on another file system")
    if not resolved.strip():
        raise ByzerError("LLMBatch needs an output path: run t as LLMBatch.`out_path` where ...")
    return Path(resolved)


@dataclass(frozen=True)
class ChunkStore:
    root: Path

    @property
    def input_dir(self) -> Path:
        return self.root / INPUT

    def manifest(self) -> dict[str, Any] | None:
        path = self.root / MANIFEST
        if not path.exists():
            return None
        try:
            loaded: dict[str, Any] = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            raise ByzerError(f"LLMBatch: the manifest {path} is unreadable: {error}") from None
        return loaded

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f"{MANIFEST}.{uuid.uuid4().hex}"
        tmp.write_text(json.dumps({"version": MANIFEST_VERSION, **manifest}, indent=1, sort_keys=True))
        os.replace(tmp, self.root / MANIFEST)

    def write_status(self, status: dict[str, Any]) -> None:
        """How a detached run stands (``running``, then how it ended), replaced whole."""
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f"{STATUS}.{uuid.uuid4().hex}"
        tmp.write_text(json.dumps(status, sort_keys=True))
        os.replace(tmp, self.root / STATUS)

    def status(self) -> dict[str, Any] | None:
        try:
            loaded: dict[str, Any] = json.loads((self.root / STATUS).read_text())
        except (OSError, ValueError):
            return None
        return loaded

    def committed(self) -> set[int]:
        if not self.root.is_dir():
            return set()
        return {int(m.group(1)) for m in map(_CHUNK.match, os.listdir(self.root)) if m}

    def chunk_path(self, index: int) -> Path:
        return self.root / f"chunk-{index:05d}.parquet"

    def fresh_tmp(self) -> Path:
        """A new folder under ``_tmp`` for Spark to write one chunk (or the frozen input) into."""
        path = self.root / TMP / uuid.uuid4().hex
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def clear_tmp(self) -> None:
        shutil.rmtree(self.root / TMP, ignore_errors=True)

    def commit_input(self, written: Path) -> None:
        if self.input_dir.exists():
            shutil.rmtree(self.input_dir)
        os.rename(written, self.input_dir)

    def commit_chunk(self, index: int, written: Path) -> None:
        """Moves the one parquet file Spark wrote under ``written`` into place, atomically."""
        parts = sorted(written.glob("part-*.parquet"))
        if len(parts) != 1:
            raise ByzerError(f"LLMBatch: chunk {index} was written as {len(parts)} files, expected 1")
        os.rename(parts[0], self.chunk_path(index))
        shutil.rmtree(written, ignore_errors=True)

    def is_empty(self) -> bool:
        return not self.root.exists() or not any(self.root.iterdir())
