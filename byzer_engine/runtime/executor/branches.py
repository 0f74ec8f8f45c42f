"""``!if`` / ``!elif`` / ``!else`` / ``!fi``: which statements run, evaluated in order, nestable."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from byzer_engine.lang.errors import ByzerSyntaxError
from byzer_engine.lang.statements import Branch


@dataclass
class _Frame:
    opened_by: Branch
    parent_active: bool
    active: bool
    matched: bool  # a branch of this if has been taken (or the whole if is skipped)
    seen_else: bool = False


class BranchStack:
    def __init__(self) -> None:
        self._frames: list[_Frame] = []

    @property
    def executing(self) -> bool:
        return not self._frames or self._frames[-1].active

    def handle(self, statement: Branch, evaluate: Callable[[str], bool]) -> None:
        kind = statement.branch
        if kind == "if":
            parent = self.executing
            taken = evaluate(statement.condition) if parent else False
            self._frames.append(_Frame(statement, parent, taken, taken or not parent))
            return
        if not self._frames:
            raise ByzerSyntaxError(f"!{kind} without !if", statement.span.position())
        frame = self._frames[-1]
        if kind == "fi":
            self._frames.pop()
        elif frame.seen_else:
            raise ByzerSyntaxError(f"!{kind} after !else", statement.span.position())
        elif kind == "elif":
            frame.active = not frame.matched and evaluate(statement.condition)
            frame.matched = frame.matched or frame.active
        elif kind == "else":
            frame.seen_else = True
            frame.active = not frame.matched
            frame.matched = True
        else:
            raise ByzerSyntaxError(f"unknown branch statement !{kind}", statement.span.position())

    def check_closed(self) -> None:
        if self._frames:
            opened = self._frames[-1].opened_by
            raise ByzerSyntaxError("!if without a matching !fi", opened.span.position())
