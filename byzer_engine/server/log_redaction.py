"""Tokens never reach a log: ``access_token=...`` in a logged request line becomes ``access_token=***``.

Byzer's clients may send the token in the query string; uvicorn's access log writes the full path.
The filter rewrites the record's arguments (and message) before any handler formats it.
"""

from __future__ import annotations

import logging
import re

_TOKEN_IN_QUERY = re.compile(r"((?:access_token|token|api_key)=)[^&\s\"']+", re.IGNORECASE)


def redact(text: str) -> str:
    return _TOKEN_IN_QUERY.sub(r"\1***", text)


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


_FILTER = RedactTokens()


def install() -> None:
    """Adds the filter to uvicorn's loggers and the server's own (idempotent)."""
    for name in ("uvicorn.access", "uvicorn.error", "uvicorn", "byzer_engine.server"):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
