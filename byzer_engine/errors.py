"""The one exception family of the engine.

Every error a user can see is a ``ByzerError``; the CLI and the server render them (see ``render``),
nothing else prints tracebacks. Errors that come from a place in a script carry that place.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Position:
    """A place in a script file: 1-based line and column, with the text of that line."""

    file: str
    line: int
    column: int
    line_text: str = ""


class ByzerError(Exception):
    """Base of every error the engine reports to a user."""

    kind: str = "error"

    def __init__(self, message: str, position: Position | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position

    @property
    def line(self) -> int | None:
        return self.position.line if self.position else None

    @property
    def column(self) -> int | None:
        return self.position.column if self.position else None

    def render(self) -> str:
        """``FILE:LINE:COL: error: MESSAGE`` then the offending line and a caret under the column."""
        if self.position is None:
            return f"error: {self.message}"
        pos = self.position
        head = f"{pos.file}:{pos.line}:{pos.column}: error: {self.message}"
        if not pos.line_text:
            return head
        text = pos.line_text.expandtabs(1)
        caret = " " * max(pos.column - 1, 0) + "^"
        return f"{head}\n    {text}\n    {caret}"

    def to_dict(self) -> dict[str, object]:
        """The JSON shape used by the HTTP server and ``--format json``."""
        return {
            "kind": self.kind,
            "message": self.message,
            "file": self.position.file if self.position else None,
            "line": self.line,
            "column": self.column,
        }


class ByzerSyntaxError(ByzerError):
    """The script text is not valid Byzer (or its SQL body is not valid SQL)."""

    kind = "syntax error"

    def __init__(self, message: str, position: Position | None = None, expected: str | None = None) -> None:
        super().__init__(message, position)
        self.expected = expected


class ByzerIncludeError(ByzerSyntaxError):
    """An ``include`` could not be resolved (missing file, cycle)."""

    kind = "include error"


class ByzerRuntimeError(ByzerError):
    """A statement failed while running; names the statement and keeps the cause."""

    kind = "runtime error"

    def __init__(self, message: str, position: Position | None = None, statement: str = "") -> None:
        super().__init__(message, position)
        self.statement = statement


class ByzerAuthError(ByzerError):
    """Missing or wrong credentials, or an action this owner may not take (path escape, shell)."""

    kind = "auth error"


class ByzerJobKilled(ByzerRuntimeError):
    """The job was cancelled by /killjob or ``!kill``."""

    kind = "killed"


class ByzerTimeout(ByzerRuntimeError):
    """The job ran past its timeout and was cancelled."""

    kind = "timeout"
