"""User code blocks: where they sit in the script, their syntax check, and their tracebacks.

A code block is compiled under a file name of its own (``CodePlace.filename``), so the frames of a
traceback that belong to the user's code (the block itself and every function it defines, wherever
Ray runs them) are told apart from the engine's and the libraries'; their line numbers are moved to
the script's lines.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from types import CodeType, TracebackType

from byzer_engine.lang.errors import ByzerError, ByzerSyntaxError, Position

CODE_FILENAME_PREFIX = "<byzer-python "


@dataclass(frozen=True)
class CodePlace:
    """A code block and where its first character sits in the script (1-based)."""

    code: str
    file: str
    line: int
    column: int

    @property
    def filename(self) -> str:
        return f"{CODE_FILENAME_PREFIX}{self.file}:{self.line}>"

    def script_line(self, code_line: int) -> int:
        return self.line + code_line - 1

    def script_column(self, code_line: int, code_column: int) -> int:
        return code_column + (self.column - 1 if code_line == 1 else 0)

    def code_line_text(self, code_line: int) -> str:
        lines = self.code.splitlines()
        return lines[code_line - 1] if 0 < code_line <= len(lines) else ""


def locate(code: str, raw: str, file: str, line: int, column: int) -> CodePlace:
    """Where ``code`` starts inside a statement's ``raw`` text that starts at (``line``, ``column``)."""
    index = raw.find(code) if code else -1
    if index < 0:
        return CodePlace(code, file, line, column)
    before = raw[:index]
    newlines = before.count("\n")
    if newlines == 0:
        return CodePlace(code, file, line, column + index)
    return CodePlace(code, file, line + newlines, index - before.rfind("\n"))


def compile_code(place: CodePlace) -> CodeType:
    """The compiled block; ``ByzerSyntaxError`` at its script line and column when it is not Python."""
    try:
        return compile(place.code, place.filename, "exec", dont_inherit=True)
    except SyntaxError as exc:
        code_line = exc.lineno or 1
        code_column = exc.offset or 1
        text = place.code_line_text(code_line)
        column = place.script_column(code_line, code_column)
        padded = " " * (place.column - 1) + text if code_line == 1 else text
        raise ByzerSyntaxError(
            f"the Python code is not valid: {exc.msg}",
            Position(place.file, place.script_line(code_line), column, padded),
        ) from None


def user_frames(place: CodePlace, tb: TracebackType | None) -> list[str]:
    """The user's own frames of a traceback, at script lines."""
    out: list[str] = []
    for frame in traceback.extract_tb(tb):
        if frame.filename != place.filename or frame.lineno is None:
            continue
        out.append(f'  File "{place.file}", line {place.script_line(frame.lineno)}, in {frame.name}')
        text = place.code_line_text(frame.lineno).strip()
        if text:
            out.append(f"    {text}")
    return out


class UserCodeError(Exception):
    """User code raised: the user's frames (at script lines) and the exception line, as plain text,
    so it crosses processes without the user's exception class."""

    def __init__(self, frames: list[str], error: str) -> None:
        super().__init__(error)
        self.frames = frames
        self.error = error

    def __reduce__(self) -> tuple[type[UserCodeError], tuple[list[str], str]]:
        return (UserCodeError, (self.frames, self.error))

    def text(self) -> str:
        head = "Traceback (most recent call last):"
        return "\n".join([head, *self.frames, self.error]) if self.frames else self.error


def as_user_error(place: CodePlace, exc: BaseException) -> UserCodeError:
    """``exc`` (raised by user code, or passing through it) as a ``UserCodeError``."""
    frames = user_frames(place, exc.__traceback__)
    if isinstance(exc, UserCodeError):
        # Raised where Ray ran one of the user's functions: the outer frames lead to it.
        return UserCodeError(frames + exc.frames, exc.error)
    if isinstance(exc, ByzerError):
        # The engine's own check inside user code (a row that does not fit the schema).
        return UserCodeError(frames, exc.message)
    lines = traceback.format_exception_only(type(exc), exc)
    return UserCodeError(frames, "".join(lines).strip())


__all__ = ["CodePlace", "UserCodeError", "as_user_error", "compile_code", "locate", "user_frames"]
