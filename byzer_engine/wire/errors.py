"""Engine errors as MySQL error packets: an error code, a SQLSTATE and the engine's message.

| engine error | code | SQLSTATE |
|---|---|---|
| syntax error (Byzer or SQL) | 1064 ``ER_PARSE_ERROR`` | 42000 |
| runtime error (a statement failed) | 1105 ``ER_UNKNOWN_ERROR`` | HY000 |
| not allowed (policy, path, another owner's job) | 1142 ``ER_TABLEACCESS_DENIED_ERROR`` | 42000 |
| killed (``KILL QUERY``, ``/killjob``) | 1317 ``ER_QUERY_INTERRUPTED`` | 70100 |
| ran past its timeout (``max_execution_time``) | 3024 ``ER_QUERY_TIMEOUT`` | HY000 |
| wrong password, or a non-loopback client without a token | 1045 ``ER_ACCESS_DENIED_ERROR`` | 28000 |

The message is the engine's rendering: ``<query>:LINE:COL: KIND: MESSAGE``, then the line and a caret.
"""

from __future__ import annotations

from dataclasses import dataclass

from mysql_mimic.errors import MysqlError, get_sqlstate
from mysql_mimic.types import Capabilities, uint_1, uint_2

from byzer_engine.lang.errors import (
    ByzerAuthError,
    ByzerError,
    ByzerJobKilled,
    ByzerSyntaxError,
    ByzerTimeout,
)

PARSE_ERROR = 1064
UNKNOWN_ERROR = 1105
ACCESS_DENIED = 1045
TABLE_ACCESS_DENIED = 1142
QUERY_INTERRUPTED = 1317
QUERY_TIMEOUT = 3024
UNKNOWN_THREAD = 1094
KILL_DENIED = 1095
HOST_NOT_ALLOWED = 1130


@dataclass(frozen=True)
class WireError:
    code: int
    sqlstate: str
    message: str

    def packet(self, capabilities: Capabilities) -> bytes:
        parts = [uint_1(0xFF), uint_2(self.code)]
        if Capabilities.CLIENT_PROTOCOL_41 in capabilities:
            parts.append(b"#" + self.sqlstate.encode("ascii"))
        parts.append(self.message.encode("utf-8", errors="replace"))
        return b"".join(parts)


class WireFailure(Exception):
    """A refusal of the listener itself, with its MySQL error."""

    def __init__(self, error: WireError) -> None:
        super().__init__(error.message)
        self.error = error


def _kind(error: ByzerError) -> tuple[int, str]:
    if isinstance(error, ByzerSyntaxError):
        return PARSE_ERROR, "42000"
    if isinstance(error, ByzerJobKilled):
        return QUERY_INTERRUPTED, "70100"
    if isinstance(error, ByzerTimeout):
        return QUERY_TIMEOUT, "HY000"
    if isinstance(error, ByzerAuthError):
        return TABLE_ACCESS_DENIED, "42000"
    return UNKNOWN_ERROR, "HY000"


def _render(error: ByzerError) -> str:
    if error.position is None:
        return f"{error.kind}: {error.message}"
    pos = error.position
    text = error.render()
    head = f"{pos.file}:{pos.line}:{pos.column}: error: {error.message}"
    # The engine's own rendering, with the error's kind where it says "error".
    return text.replace(head, f"{pos.file}:{pos.line}:{pos.column}: {error.kind}: {error.message}", 1)


def wire_error(exc: BaseException) -> WireError:
    """The error packet's contents for anything a query raised (no tracebacks)."""
    if isinstance(exc, ByzerError):
        code, sqlstate = _kind(exc)
        return WireError(code, sqlstate, _render(exc))
    if isinstance(exc, WireFailure):
        return exc.error
    if isinstance(exc, MysqlError):
        return WireError(int(exc.code), get_sqlstate(exc.code).decode(), exc.msg)
    return WireError(UNKNOWN_ERROR, "HY000", f"internal error: {type(exc).__name__}: {exc}")
