"""The one reading of boolean words, for option values, settings, flags and environment variables."""

from __future__ import annotations

from byzer_engine.errors import ByzerError

TRUE_WORDS = frozenset({"true", "1", "yes", "on"})
FALSE_WORDS = frozenset({"false", "0", "no", "off", ""})


def parse_bool(name: str, value: str | None, default: bool = False) -> bool:
    """``value`` as a boolean (``default`` when it is ``None``); a ``ByzerError`` naming ``name``
    when it is no boolean word."""
    if value is None:
        return default
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ByzerError(f'{name} must be "true" or "false": "{value}" is not a boolean (use true or false)')


def is_true(value: object) -> bool:
    """Lenient reading for values that were already checked or default to false: a true word or not."""
    return str(value).strip().lower() in TRUE_WORDS


__all__ = ["FALSE_WORDS", "TRUE_WORDS", "is_true", "parse_bool"]
