"""The engine's exception family, as the language front end and its users name it.

The classes live in ``byzer_engine.errors`` (stdlib only, so the HTTP client can raise them without
importing the language front end); this module is where the rest of the engine imports them from.
"""

from byzer_engine.errors import (
    ByzerAuthError,
    ByzerError,
    ByzerIncludeError,
    ByzerJobKilled,
    ByzerRuntimeError,
    ByzerSyntaxError,
    ByzerTimeout,
    Position,
)

__all__ = [
    "ByzerAuthError",
    "ByzerError",
    "ByzerIncludeError",
    "ByzerJobKilled",
    "ByzerRuntimeError",
    "ByzerSyntaxError",
    "ByzerTimeout",
    "Position",
]
