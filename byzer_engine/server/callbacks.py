"""Delivering the result of an async job to its callback URL, with retries and exponential backoff.

The payload is posted as form fields, as Byzer does (``stat``, ``res`` or ``msg``, ``jobInfo``), so
receivers written for Byzer keep working. A 2xx answer is a delivery; anything else (or no answer) is
retried ``max_retries`` times, waiting ``backoff``, ``2 * backoff``, ``4 * backoff``... in between.
"""

from __future__ import annotations

import asyncio
import logging

import httpx

from byzer_engine.lang.errors import ByzerError
from byzer_engine.server.callback_targets import check_callback_url_async
from byzer_engine.server.protocol import CallbackPayload

log = logging.getLogger("byzer_engine.server")

_MAX_WAIT_S = 30.0


async def deliver(
    url: str,
    payload: CallbackPayload,
    *,
    max_retries: int,
    backoff_s: float,
    timeout_s: float,
    allow_private: bool = False,
) -> bool:
    """POST the payload; True once the receiver answered 2xx, False after the last failed try."""
    form = payload.form()
    attempts = max_retries + 1
    # No redirects: a redirect could lead to an address the target check refuses.
    async with httpx.AsyncClient(timeout=timeout_s, follow_redirects=False) as client:
        for attempt in range(1, attempts + 1):
            try:
                await check_callback_url_async(url, allow_private)
            except ByzerError as exc:
                log.error("callback %s refused: %s", url, exc.message)
                return False
            try:
                response = await client.post(url, data=form)
                if response.is_success:
                    return True
                problem = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            log.warning("callback %s: attempt %d/%d failed (%s)", url, attempt, attempts, problem)
            if attempt < attempts:
                await asyncio.sleep(min(backoff_s * 2 ** (attempt - 1), _MAX_WAIT_S))
    log.error("callback %s: giving up after %d attempts", url, attempts)
    return False
