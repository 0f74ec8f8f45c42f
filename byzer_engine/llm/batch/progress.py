"""Progress lines of a batch: rows done / total, output tokens per second and an ETA.

Rows come from the committed chunks (exact); tokens from the usage ledger's row of this owner and job
(what the model generated for this run), read once per chunk.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class BatchProgress:
    label: str
    owner: str
    job: str
    rows_total: int
    rows_at_start: int
    started: float = field(default_factory=time.monotonic)

    def line(self, rows_done: int) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        parts = [f"LLMBatch {self.label}: {rows_done}/{self.rows_total} rows"]
        tokens = self._output_tokens()
        if tokens is not None:
            parts.append(f"{tokens / elapsed:.1f} tokens/s")
        rate = (rows_done - self.rows_at_start) / elapsed
        if rate > 0:
            parts.append(f"ETA {_clock((self.rows_total - rows_done) / rate)}")
        return ", ".join(parts)

    def _output_tokens(self) -> int | None:
        from byzer_engine.llm.usage import usage_rows

        try:
            rows = usage_rows([self.owner])
        except Exception:  # the ledger is out of reach: rows and ETA still show
            return None
        return sum(int(r["output_tokens"]) for r in rows if r["job"] == self.job)


def _clock(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 3600:d}:{whole // 60 % 60:02d}:{whole % 60:02d}"
