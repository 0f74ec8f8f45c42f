"""Secrets out of job listings: the values of password-like options and variables become ``******``.

A script's text is shown by ``/runningjobs`` and ``load _mlsql_.`jobs` ``; the credentials it carries
(``connect jdbc where password="..."``, ``set apiKey = "..."``, ``jdbc:...?password=...``,
``scheme://user:pass@host``) are masked before the text is stored with the job, so no listing (the
owner's own included) can show them.

The patterns use bounded repetitions only and run on the ``regex`` package with the GIL released
and a timeout: a script of megabytes costs linear time and cannot stall the server. A text that
still cannot be masked in time is not shown at all.
"""

from __future__ import annotations

import regex

MASK = "******"
TIMEOUT_S = 2.0
HIDDEN = "(script text hidden: it could not be checked for secrets)"

_KEYWORD = r"(?:password|passwd|pwd|secret|token|credential|api[_\-.]?key|access[_\-.]?key|private[_\-.]?key)"
_NAME_PART = r"[A-Za-z0-9_.\-]{0,64}"
# A value as Byzer writes one: triple-quoted, quoted (with escapes), back-quoted, or a bare word.
_VALUE = (
    r"(?:'''.{0,65536}?'''|\"(?:\\.|[^\"\\]){0,65536}\"|'(?:\\.|[^'\\]){0,65536}'|`[^`]{0,65536}`"
    r"|[^\s;,)&\"'`]{1,65536})"
)

# ``password="x"``, ``"password"="x"``, ``set apiKey = "x"``, ``password: x``. The name must start
# at a word boundary, so the scan does not restart inside every long run of letters.
_ASSIGNMENT = regex.compile(
    rf"(?P<name>(?<![A-Za-z0-9_.\-])[\"'`]?{_NAME_PART}{_KEYWORD}{_NAME_PART}[\"'`]?\s{{0,64}}(?:=|:)\s{{0,64}})"
    rf"(?P<value>{_VALUE})",
    regex.IGNORECASE | regex.DOTALL,
)
# ``scheme://user:secret@host``.
_URL_USERINFO = regex.compile(
    r"(?P<head>(?<![A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]{0,31}://[^\s/:@'\"`]{1,256}:)"
    r"(?P<value>[^\s@/'\"`]{1,256})(?=@)"
)


def _masked_value(match: regex.Match[str]) -> str:
    value = match.group("value")
    quote = value[:3] if value.startswith("'''") else value[:1]
    if quote in {'"', "'", "`", "'''"}:
        return f"{match.group('name')}{quote}{MASK}{quote}"
    return f"{match.group('name')}{MASK}"


def mask_secrets(text: str) -> str:
    """``text`` with every credential value replaced by ``******``."""
    lowered = text.lower()
    try:
        if any(word in lowered for word in _HINTS):
            text = _ASSIGNMENT.sub(_masked_value, text, timeout=TIMEOUT_S, concurrent=True)
        if "://" in text and "@" in text:
            text = _URL_USERINFO.sub(
                lambda m: f"{m.group('head')}{MASK}", text, timeout=TIMEOUT_S, concurrent=True
            )
    except TimeoutError:
        return HIDDEN
    return str(text)


# Words one of which every secret name contains: texts without any skip the scan.
_HINTS = ("pass", "pwd", "secret", "token", "credential", "key")
