"""Secrets out of job listings: the values of password-like options and variables become ``******``.

A script's text is shown by ``/runningjobs`` and ``load _mlsql_.`jobs` ``; the credentials it carries
(``connect jdbc where password="..."``, ``set apiKey = "..."``, ``jdbc:...?password=...``,
``scheme://user:pass@host``) are masked before the text is stored with the job, so no listing (the
owner's own included) can show them.
"""

from __future__ import annotations

import re

MASK = "******"

# Option or variable names that hold a credential.
_SECRET_NAME = r"[A-Za-z0-9_.\-]*(?:password|passwd|pwd|secret|token|credential|api[_\-.]?key|access[_\-.]?key|private[_\-.]?key)[A-Za-z0-9_.\-]*"
# A value as Byzer writes one: triple-quoted, quoted (with escapes), back-quoted, or a bare word.
_VALUE = r"(?:'''.*?'''|\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'|`[^`]*`|[^\s;,)&\"'`]+)"

# ``password="x"``, ``"password"="x"``, ``set apiKey = "x"``, ``password: x``.
_ASSIGNMENT = re.compile(
    rf"(?P<name>[\"'`]?{_SECRET_NAME}[\"'`]?\s*(?:=|:)\s*)(?P<value>{_VALUE})",
    re.IGNORECASE | re.DOTALL,
)
# ``scheme://user:secret@host``.
_URL_USERINFO = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^\s/:@'\"`]+:)(?P<value>[^\s@/'\"`]+)(?=@)")


def _masked_value(match: re.Match[str]) -> str:
    value = match.group("value")
    quote = value[:3] if value.startswith("'''") else value[:1]
    if quote in {'"', "'", "`", "'''"}:
        return f"{match.group('name')}{quote}{MASK}{quote}"
    return f"{match.group('name')}{MASK}"


def mask_secrets(text: str) -> str:
    """``text`` with every credential value replaced by ``******``."""
    masked = _ASSIGNMENT.sub(_masked_value, text)
    return _URL_USERINFO.sub(lambda m: f"{m.group('head')}{MASK}", masked)
