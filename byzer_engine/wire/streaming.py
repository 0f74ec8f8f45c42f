"""Rows from Spark to the socket as Spark produces them, with a bounded number of batches in between.

The engine's job runs on a worker thread and hands its last table to ``TableStream.feed``, which
walks it with ``toLocalIterator`` (one partition at a time) and puts batches of rows on an asyncio
queue; the connection's coroutine takes them off and writes them. When the queue is full the worker
waits, so a slow client holds at most ``MAX_BATCHES`` batches in memory, never the whole result.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from byzer_engine.wire.types import WireColumn, row_converter, wire_columns

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

BATCH_ROWS = 2048
MAX_BATCHES = 8
_WAIT_S = 0.25


class StreamClosed(Exception):
    """The reader went away (the client disconnected, or the query was killed)."""


@dataclass(frozen=True)
class _Columns:
    columns: list[WireColumn]


@dataclass(frozen=True)
class _End:
    error: BaseException | None = None


class TableStream:
    """One query's result, from the engine's thread to the connection's event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, max_rows: int | None) -> None:
        self._loop = loop
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._space = threading.Semaphore(MAX_BATCHES)
        self._closed = threading.Event()
        self.max_rows = max_rows
        self.rows_sent = 0

    # -- the engine's side (a worker thread) ---------------------------------------------------------
    def _put(self, item: Any) -> None:
        while not self._space.acquire(timeout=_WAIT_S):
            if self._closed.is_set():
                raise StreamClosed("the client stopped reading")
        if self._closed.is_set():
            raise StreamClosed("the client stopped reading")
        self._loop.call_soon_threadsafe(self._queue.put_nowait, item)

    def feed(self, df: DataFrame) -> None:
        """``Engine.run_script``'s ``on_table``: streams the table, capped at ``max_rows``."""
        columns = wire_columns(df.schema)
        self._put(_Columns(columns))
        if not columns:
            return
        limited = df.limit(self.max_rows) if self.max_rows is not None and self.max_rows >= 0 else df
        convert = row_converter(columns)
        batch: list[Sequence[Any]] = []
        for row in limited.toLocalIterator(prefetchPartitions=True):
            batch.append(convert(row) if convert is not None else row)
            if len(batch) >= BATCH_ROWS:
                self._put(batch)
                batch = []
        if batch:
            self._put(batch)

    def end(self, error: BaseException | None = None) -> None:
        """The job finished (``error``: how it failed). Never blocks."""
        self._loop.call_soon_threadsafe(self._queue.put_nowait, _End(error))

    # -- the connection's side (the event loop) ------------------------------------------------------
    async def _get(self) -> Any:
        item = await self._queue.get()
        if not isinstance(item, _End):
            self._space.release()
        return item

    async def columns(self) -> list[WireColumn] | None:
        """The result's columns; None when the script made no table. Raises the job's error."""
        item = await self._get()
        if isinstance(item, _End):
            if item.error is not None:
                raise item.error
            return None
        assert isinstance(item, _Columns)
        return item.columns

    async def rows(self) -> AsyncIterator[Sequence[Any]]:
        """The rows, batch by batch, as they arrive; raises the job's error if it fails midway."""
        while True:
            item = await self._get()
            if isinstance(item, _End):
                if item.error is not None:
                    raise item.error
                return
            self.rows_sent += len(item)
            for row in item:
                yield row

    async def batches(self) -> AsyncIterator[list[Sequence[Any]]]:
        while True:
            item = await self._get()
            if isinstance(item, _End):
                if item.error is not None:
                    raise item.error
                return
            self.rows_sent += len(item)
            yield item

    def close(self) -> None:
        """The reader is gone: the worker stops at its next batch."""
        self._closed.set()
