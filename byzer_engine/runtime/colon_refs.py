"""``:name`` references in Byzer expressions (``!assert`` conditions, ``!if`` conditions).

A ``:name`` outside quotes and not part of ``::`` (Spark's cast) names a column or a variable; the
caller decides what it becomes.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def replace_refs(text: str, replace: Callable[[str, str], str]) -> str:
    """Replaces each ``:name`` by ``replace(name, text_before_it)``."""
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in "'\"`":
            end = _string_end(text, i)
            out.append(text[i:end])
            i = end
            continue
        if ch == ":" and (i == 0 or text[i - 1] != ":") and not text.startswith("::", i):
            match = _NAME.match(text, i + 1)
            if match:
                out.append(replace(match.group(0), "".join(out)))
                i = match.end()
                continue
        out.append(ch)
        i += 1
    return "".join(out)


def _string_end(text: str, start: int) -> int:
    quote = text[start]
    i = start + 1
    while i < len(text):
        if text[i] == "\\" and quote != "`":
            i += 2
            continue
        if text[i] == quote:
            return i + 1
        i += 1
    return len(text)


def split_outside_quotes(text: str, separator: str = ";") -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in "'\"`":
            end = _string_end(text, i)
            current.append(text[i:end])
            i = end
            continue
        if ch == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    parts.append("".join(current))
    return [p for p in (part.strip() for part in parts) if p]


def backquote(name: str, before: str = "") -> str:
    return "`" + name.replace("`", "``") + "`"
