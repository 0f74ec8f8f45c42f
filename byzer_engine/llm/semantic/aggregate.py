"""``llm_agg('chat', instruction, col)``: a group of rows reduced to one answer in bounded context.

The group's texts are packed into chunks of at most ``CHUNK_CHARS`` characters, fewer for a model
whose context holds less (``chunk_budget``; a text longer than a chunk is cut); each chunk is one request (the instruction over its items), all chunks of a level in
one pool call. While more than one answer remains, the answers are packed and reduced the same way,
so no request ever holds more than a chunk, however large the group.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# A chunk's characters: at most about as many tokens even for text of one token per character, so a
# request fits a 4k-token context with room for the answer; less for a model of a smaller context.
CHUNK_CHARS = 3000
MIN_CHUNK_CHARS = 200
PARTIAL_TOKENS = 128
# The chat template and the request's own words around the items, in tokens.
TEMPLATE_TOKENS = 64
MAX_LEVELS = 12

Ask = Callable[[list[dict[str, Any]]], list[str | None]]


def chunks(texts: list[str], budget: int = CHUNK_CHARS) -> list[list[str]]:
    """``texts`` in order, packed greedily into lists of at most ``budget`` characters in all."""
    out: list[list[str]] = []
    current: list[str] = []
    size = 0
    for text in texts:
        text = text[:budget]
        if current and size + len(text) + 1 > budget:
            out.append(current)
            current, size = [], 0
        current.append(text)
        size += len(text) + 1
    if current:
        out.append(current)
    return out


def chunk_budget(context: int | None, instruction: str) -> int:
    """A chunk's characters for a model of ``context`` tokens (None: unknown): ``CHUNK_CHARS``, or what
    the context holds besides the instruction, the template and the answer, at a token a character."""
    if not context:
        return CHUNK_CHARS
    room = context - PARTIAL_TOKENS - TEMPLATE_TOKENS - len(instruction)
    return max(MIN_CHUNK_CHARS, min(CHUNK_CHARS, room * 9 // 10))  # a tenth for the items' "- "


def chunk_request(instruction: str, items: list[str], final: bool) -> dict[str, Any]:
    listing = "\n".join(f"- {item}" for item in items)
    ask = (
        instruction
        if final
        else f"{instruction} (answer for these items only; it will be combined with others)"
    )
    return {
        "instruction": f"{ask}\n\nItems:\n{listing}",
        "temperature": 0,
        "max_length": PARTIAL_TOKENS,
    }


def reduce_group(instruction: str, texts: list[str], ask: Ask, budget: int = CHUNK_CHARS) -> str | None:
    """The group's answer: one request when the texts fit a chunk, else a tree of reductions.
    ``ask`` answers a list of requests (None for a failed one); a failure makes the group NULL."""
    level = [t for t in texts if t]
    if not level:
        return None
    for _ in range(MAX_LEVELS):
        packed = chunks(level, budget)
        answers = ask([chunk_request(instruction, items, len(packed) == 1) for items in packed])
        if any(a is None for a in answers):
            return None
        level = [str(a) for a in answers]
        if len(packed) == 1:
            return level[0]
    return None
