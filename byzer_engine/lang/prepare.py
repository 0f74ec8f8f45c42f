"""A statement made ready to run: the one place its template is rendered and its text parsed again.

The runtime calls ``prepare_statement`` once per statement, just before it runs, with the variables
as they are then, so ``${...}`` and Velocity work anywhere in a statement and a macro sees the
values set before it.
"""

from __future__ import annotations

from collections.abc import Mapping

from byzer_engine.lang.macros import expand_macro
from byzer_engine.lang.parser import parse_statement
from byzer_engine.lang.statements import Macro, Statement
from byzer_engine.lang.templating import render

# Characters that start template syntax; a statement without them renders to itself.
_TEMPLATE_MARKS = ("$", "#")


def render_statement(statement: Statement, variables: Mapping[str, str]) -> Statement:
    """The statement with its text rendered and parsed again (the same object when nothing changes)."""
    raw = statement.span.raw
    if not any(mark in raw for mark in _TEMPLATE_MARKS):
        return statement
    rendered = render(raw, variables)
    if rendered == raw:
        return statement
    span = statement.span
    return parse_statement(rendered, file=span.file, line=span.line, column=span.column)


def prepare_statement(statement: Statement, variables: Mapping[str, str]) -> list[Statement]:
    """What runs for ``statement`` now: the rendered statement, or a macro's expansion (whose
    statements are ready as they are). ``[statement]`` itself when there is nothing to do."""
    ready = render_statement(statement, variables)
    if isinstance(ready, Macro):
        return expand_macro(ready, variables)
    return [ready]
