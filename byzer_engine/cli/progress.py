"""``byzer run``'s progress on stderr while a script runs.

On a terminal: a status line after a moment, with Spark's tasks done and, once the script calls a
model, a bar of its LLM rows done of the total, tokens per second and the time left. Not on a
terminal (a log, a pipe): plain lines for the LLM calls only, when they changed, at most every
``PLAIN_EVERY_S`` seconds.
"""

from __future__ import annotations

import sys
import threading
import time
from types import TracebackType
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from byzer_engine.runtime import Engine, JobInfo
    from byzer_engine.runtime.progress.tracker import CallProgress

BAR_WIDTH = 24


def _eta(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}m{whole % 60:02d}s" if whole >= 60 else f"{whole}s"


def progress_line(calls: CallProgress) -> str:
    """``LLM: 40/96 rows (41%), 35.2 tokens/s, ETA 12s`` (what is not known yet is left out)."""
    if calls.rows_total:
        share = min(100, calls.rows_done * 100 // calls.rows_total)
        parts = [f"LLM: {calls.rows_done}/{calls.rows_total} rows ({share}%)"]
    else:
        parts = [f"LLM: {calls.rows_done} rows"]
    if calls.tokens_per_s is not None:
        parts.append(f"{calls.tokens_per_s:.1f} tokens/s")
    if calls.eta_s is not None and calls.rows_total and calls.rows_done < calls.rows_total:
        parts.append(f"ETA {_eta(calls.eta_s)}")
    return ", ".join(parts)


def progress_bar(calls: CallProgress) -> str:
    if not calls.rows_total:
        return progress_line(calls)
    filled = min(BAR_WIDTH, calls.rows_done * BAR_WIDTH // calls.rows_total)
    return f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {progress_line(calls)}"


class RunProgress:
    """Shows the progress of the job named ``job_name`` while the ``with`` block runs."""

    DELAY_S = 2.0
    POLL_S = 0.5
    PLAIN_EVERY_S = 5.0

    def __init__(
        self, engine: Engine, job_name: str, stream: IO[str] | None = None, tty: bool | None = None
    ) -> None:
        self.engine = engine
        self.job_name = job_name
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="byzer-progress", daemon=True)

    def __enter__(self) -> RunProgress:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)

    def _job(self) -> JobInfo | None:
        try:
            jobs = self.engine.running_jobs()
        except Exception:
            return None  # the engine is starting or stopping: nothing to show this time
        return next((j for j in jobs if j.job_name == self.job_name), None)

    def _watch(self) -> None:
        if self.tty:
            self._watch_terminal()
        else:
            self._watch_plain()

    def _watch_terminal(self) -> None:
        from rich.console import Console

        if self._stop.wait(self.DELAY_S):
            return
        started = time.monotonic() - self.DELAY_S
        with Console(file=self.stream, force_terminal=True).status(
            "Spark: starting", spinner="dots"
        ) as status:
            while not self._stop.wait(self.POLL_S):
                job = self._job()
                done, _, total = (job.progress if job else "0/0").partition("/")
                elapsed = time.monotonic() - started
                text = f"Spark: {done}/{total} tasks done ({elapsed:.0f}s)"
                if job is not None and job.calls is not None:
                    text = f"{progress_bar(job.calls)} | {text}"
                status.update(text)

    def _watch_plain(self) -> None:
        last_line, last_at = "", 0.0
        while not self._stop.wait(self.POLL_S):
            job = self._job()
            if job is None or job.calls is None:
                continue
            line = progress_line(job.calls)
            now = time.monotonic()
            if line != last_line and now - last_at >= self.PLAIN_EVERY_S:
                self.stream.write(line + "\n")
                self.stream.flush()
                last_line, last_at = line, now
