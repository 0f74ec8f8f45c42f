"""The result cache of the pools: deterministic answers kept across queries and restarts.

An entry's key is the model's identity (the backend, its settings, and a signature of the model
folder's files: names, sizes, modification times) and the request's canonical text, sampling
settings included. Only answers the key determines are stored: greedy decoding (temperature 0) and
embeddings; errors never. A request opts out with ``"cache": "false"`` (``llm_param(map(...))``), a
function with ``!byzerllm setup "cache=false"`` (or the deploy option). Every pool on the machine
shares one SQLite file under the data root (``DATA_ROOT/.llm_cache/results.sqlite``; an owner name
cannot start with '.'), capped in bytes (``cacheMaxMB``, 256 by default) with least-recently-used
eviction. The cache never fails a query: a file it cannot use is a miss.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from byzer_engine.booleans import is_true
from byzer_engine.llm.backends.base import BackendConfig
from byzer_engine.llm.requests import LLMRequest

log = logging.getLogger(__name__)

CACHE_FOLDER = ".llm_cache"
CACHE_FILE = "results.sqlite"
DEFAULT_MAX_MB = 256
REQUEST_OPT_OUT = "cache"
# Eviction trims the file to this share of its cap, so a full cache is not trimmed on every store.
_TRIM_TO = 0.9
_SIGNED_FILES_MAX = 10_000
# Settings that decide where and how fast a model runs, not what it answers.
_PLACEMENT_FIELDS = ("num_gpus", "num_cpus", "threads")


def cache_folder(data_root: str) -> str:
    return str(Path(data_root) / CACHE_FOLDER)


def cacheable(request: LLMRequest) -> bool:
    """Whether the request's answer is determined by its key, and it did not opt out."""
    flag = request.raw.get(REQUEST_OPT_OUT)
    if flag not in (None, "") and not is_true(flag):
        return False
    return request.embedding or request.sampling.greedy


def folder_signature(directory: str) -> str:
    """A hash of the files under ``directory`` (relative names, sizes, modification times)."""
    digest = hashlib.sha256()
    root = Path(directory)
    files = sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))
    for path in files[:_SIGNED_FILES_MAX]:
        stat = path.stat()
        digest.update(f"{path.relative_to(root)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def model_identity(config: BackendConfig, model_folder: str) -> str:
    """The identity a cached answer belongs to: the backend's settings and the model folder's files."""
    settings = {k: v for k, v in asdict(config).items() if k not in _PLACEMENT_FIELDS}
    text = json.dumps(
        {"settings": settings, "files": folder_signature(model_folder)}, sort_keys=True, default=str
    )
    return hashlib.sha256(text.encode()).hexdigest()


class ResultCache:
    """One pool's view of the shared cache file."""

    def __init__(self, folder: str, identity: str, max_bytes: int) -> None:
        self.identity = identity
        self.max_bytes = max(1, max_bytes)
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        try:
            os.makedirs(folder, mode=0o700, exist_ok=True)
            db = sqlite3.connect(
                str(Path(folder) / CACHE_FILE), timeout=30, isolation_level=None, check_same_thread=False
            )
            db.execute("pragma journal_mode=wal")
            db.execute(
                "create table if not exists entries (key text primary key, value text not null, "
                "bytes integer not null, used real not null)"
            )
            db.execute("create index if not exists entries_used on entries (used)")
            self._db = db
        except (OSError, sqlite3.Error) as exc:
            log.warning("the LLM result cache in %s is off: %s", folder, exc)

    def _key(self, request: LLMRequest) -> str:
        return hashlib.sha256(f"{self.identity}\n{request.key}".encode()).hexdigest()

    def lookup(self, requests: list[LLMRequest]) -> dict[int, dict[str, Any]]:
        """The cached responses of ``requests``, by position (marked ``cache_hit`` in their metadata)."""
        wanted = {self._key(r): i for i, r in enumerate(requests) if cacheable(r)}
        if self._db is None or not wanted:
            return {}
        found: dict[int, dict[str, Any]] = {}
        keys = list(wanted)
        try:
            with self._lock:
                for start in range(0, len(keys), 500):
                    chunk = keys[start : start + 500]
                    marks = ",".join("?" * len(chunk))
                    rows = self._db.execute(f"select key, value from entries where key in ({marks})", chunk)
                    for key, value in rows.fetchall():
                        response = json.loads(value)
                        response["metadata"] = {**(response.get("metadata") or {}), "cache_hit": True}
                        found[wanted[key]] = response
                    hit = [k for k in chunk if wanted[k] in found]
                    if hit:
                        marks = ",".join("?" * len(hit))
                        self._db.execute(
                            f"update entries set used = ? where key in ({marks})", [time.time(), *hit]
                        )
        except sqlite3.Error as exc:
            log.warning("LLM result cache lookup failed: %s", exc)
            return {}
        return found

    def cached_positions(self, requests: list[LLMRequest]) -> set[int]:
        """Which of ``requests`` have a cached answer (for EXPLAIN: nothing is read out or marked used)."""
        wanted = {self._key(r): i for i, r in enumerate(requests) if cacheable(r)}
        if self._db is None or not wanted:
            return set()
        found: set[int] = set()
        keys = list(wanted)
        try:
            with self._lock:
                for start in range(0, len(keys), 500):
                    chunk = keys[start : start + 500]
                    marks = ",".join("?" * len(chunk))
                    rows = self._db.execute(f"select key from entries where key in ({marks})", chunk)
                    found.update(wanted[key] for (key,) in rows.fetchall())
        except sqlite3.Error as exc:
            log.warning("LLM result cache lookup failed: %s", exc)
            return set()
        return found

    def store(self, answered: list[tuple[LLMRequest, dict[str, Any]]]) -> None:
        """Keep the cacheable, successful answers; evict the least recently used past the cap."""
        rows = []
        now = time.time()
        for request, response in answered:
            if "error" in response or not cacheable(request):
                continue
            value = json.dumps(response, ensure_ascii=False, default=str)
            rows.append((self._key(request), value, len(value.encode()), now))
        if self._db is None or not rows:
            return
        try:
            with self._lock:
                self._db.executemany("insert or replace into entries values (?, ?, ?, ?)", rows)
                self._evict()
        except sqlite3.Error as exc:
            log.warning("LLM result cache store failed: %s", exc)

    def _evict(self) -> None:
        assert self._db is not None
        (total,) = self._db.execute("select coalesce(sum(bytes), 0) from entries").fetchone()
        if total <= self.max_bytes:
            return
        excess = total - int(self.max_bytes * _TRIM_TO)
        doomed: list[str] = []
        for key, size in self._db.execute("select key, bytes from entries order by used"):
            if excess <= 0:
                break
            doomed.append(key)
            excess -= size
        for start in range(0, len(doomed), 500):
            chunk = doomed[start : start + 500]
            self._db.execute(f"delete from entries where key in ({','.join('?' * len(chunk))})", chunk)

    def stats(self) -> dict[str, int]:
        """Entries and bytes of the whole file (every pool's)."""
        if self._db is None:
            return {"entries": 0, "bytes": 0}
        with self._lock:
            entries, size = self._db.execute(
                "select count(*), coalesce(sum(bytes), 0) from entries"
            ).fetchone()
        return {"entries": int(entries), "bytes": int(size)}
