"""A piece of script text with its place in a file: turns character offsets into line and column.

``parse_statement`` parses text cut out of a larger file, so a ``Source`` knows the line and column of
its first character and reports every position in the coordinates of the original file.
"""

from __future__ import annotations

from bisect import bisect_right

from byzer_engine.lang.errors import ByzerSyntaxError, Position


class Source:
    """Script text plus the file, line and column its first character sits at (1-based)."""

    __slots__ = ("_line_starts", "column", "file", "line", "text")

    def __init__(self, text: str, file: str = "<script>", line: int = 1, column: int = 1) -> None:
        self.text = text
        self.file = file
        self.line = line
        self.column = column
        starts = [0]
        find = text.find
        index = find("\n")
        while index != -1:
            starts.append(index + 1)
            index = find("\n", index + 1)
        self._line_starts = starts

    def location(self, offset: int) -> tuple[int, int]:
        """The (line, column) of ``offset`` in the original file."""
        row = bisect_right(self._line_starts, offset) - 1
        column = offset - self._line_starts[row] + 1
        if row == 0:
            column += self.column - 1
        return self.line + row, column

    def line_text(self, offset: int) -> str:
        """The whole line holding ``offset``; the first line is padded so a caret lines up."""
        row = bisect_right(self._line_starts, offset) - 1
        start = self._line_starts[row]
        end = self.text.find("\n", start)
        text = self.text[start:] if end == -1 else self.text[start:end]
        text = text.rstrip("\r")
        if row == 0 and self.column > 1:
            text = " " * (self.column - 1) + text
        return text

    def text_of_line(self, line: int) -> str:
        """The whole text of ``line`` (numbered as in the file); "" for a line outside this source."""
        row = line - self.line
        if not 0 <= row < len(self._line_starts):
            return ""
        return self.line_text(self._line_starts[row])

    def position(self, offset: int) -> Position:
        line, column = self.location(offset)
        return Position(self.file, line, column, self.line_text(offset))

    def error(self, message: str, offset: int, expected: str | None = None) -> ByzerSyntaxError:
        offset = max(0, min(offset, len(self.text)))
        return ByzerSyntaxError(message, self.position(offset), expected=expected)
