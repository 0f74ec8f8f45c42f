"""The Byzer language front end: script text to typed statements (no Spark here, only sqlglot).

- ``parse_script``: includes resolved, then every statement parsed (templates left unrendered).
- ``parse_statement``: one already rendered statement, positioned in its file.
- ``render`` / ``VariableTable`` / ``builtin_variables``: ``${...}`` templating with Byzer's set rules.
- ``expand_macro``: ``!name args`` into the statements it stands for.
- ``prepare_statement``: a statement just before it runs: rendered, parsed again, macro expanded.
- a notebook ``#%python`` cell is read as the script it stands for (``notebook_cell``).
- ``analyze``: the JSON of ``byzer check --json`` and ``executeMode=analyze``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from byzer_engine.lang import notebook_cell
from byzer_engine.lang.errors import ByzerIncludeError, ByzerSyntaxError
from byzer_engine.lang.include import IncludeReader, parse_with_includes
from byzer_engine.lang.jodatime import builtin_variables
from byzer_engine.lang.macros import expand_macro
from byzer_engine.lang.parser import check_branches, parse_statement
from byzer_engine.lang.prepare import prepare_statement
from byzer_engine.lang.source import Source
from byzer_engine.lang.statements import Statement
from byzer_engine.lang.templating import render
from byzer_engine.lang.variables import VariableTable


def parse_script(
    text: str,
    *,
    file: str = "<script>",
    project_root: str | None = None,
    skip_include: bool = False,
    resolve: Callable[[str], str] | None = None,
    variables: Mapping[str, str] | None = None,
    include_readers: Mapping[str, IncludeReader] | None = None,
) -> list[Statement]:
    """Every statement of a script, ``include`` resolved first (unless ``skip_include``); not rendered.

    ``resolve`` checks each included file before it is read (the owner's path resolver);
    ``variables`` render include paths; ``include_readers`` add include types (see ``lang.include``).
    """
    sources: dict[str, Source] = {}
    if notebook_cell.is_cell(text):
        text = notebook_cell.rewrite(text, file)
    statements = parse_with_includes(
        text,
        file=file,
        project_root=project_root,
        skip_include=skip_include,
        sources=sources,
        resolve=resolve,
        variables=variables,
        readers=include_readers,
    )
    check_branches(statements, sources)
    return statements


def analyze(text: str, *, file: str = "<script>") -> list[dict[str, Any]]:
    """The statements of a script as JSON-ready dicts (``statement.to_dict()``)."""
    return [statement.to_dict() for statement in parse_script(text, file=file)]


__all__ = [
    "ByzerIncludeError",
    "ByzerSyntaxError",
    "Statement",
    "VariableTable",
    "analyze",
    "builtin_variables",
    "expand_macro",
    "parse_script",
    "parse_statement",
    "prepare_statement",
    "render",
]
