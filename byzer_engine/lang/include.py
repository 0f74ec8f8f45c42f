"""``include local.`path`;`` and ``include project.`path`;``: splice other script files in before running.

Each included file is parsed on its own, so its statements (and any syntax error in it) carry its own
file name and line numbers. ``local`` paths are relative to the including file's folder, ``project``
paths to the project root; the ``.byzer`` / ``.mlsql`` extension may be left out. Includes nest, and a
file that includes itself again (directly or not) is reported as a cycle.

``resolve`` (the runtime passes the owner's path resolver) checks every included file before it is
opened: a file outside the owner's home is refused with ``ByzerAuthError``, and nothing of it is read.

Include paths are templates: ``${x}`` is rendered with the caller's variables (``--var``, context
parameters, the built-ins) and the ``set`` statements above the include. Other include types (the
runtime's ``hdfs``, read through Hadoop's FileSystem API) come in as ``readers``: TYPE -> a function
from the rendered path to ``(name, text)``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from byzer_engine.lang.errors import ByzerAuthError, ByzerIncludeError, Position
from byzer_engine.lang.parser import parse_source
from byzer_engine.lang.source import Source
from byzer_engine.lang.statements import Include, SetVar, Statement
from byzer_engine.lang.templating import render

INCLUDE_TYPES = ("local", "project")
EXTENSIONS = ("", ".byzer", ".mlsql")

# An include type the caller provides: the rendered path -> (a name for the file, its text).
IncludeReader = Callable[[str], tuple[str, str]]


def parse_with_includes(
    text: str,
    *,
    file: str,
    project_root: str | None,
    skip_include: bool = False,
    sources: dict[str, Source] | None = None,
    variables: Mapping[str, str] | None = None,
    readers: Mapping[str, IncludeReader] | None = None,
    resolve: Callable[[str], str] | None = None,
) -> list[Statement]:
    """The statements of ``text`` with includes spliced in; ``sources`` collects each file read."""
    source = Source(text, file)
    sources = {} if sources is None else sources
    sources[file] = source
    if skip_include:
        return parse_source(source)
    root = project_root if project_root is not None else _default_root(file)
    stack = (os.path.realpath(file),) if os.path.isfile(file) else ()
    context = _Context(root, sources, {k.lower(): v for k, v in (readers or {}).items()}, resolve)
    return _expand(source, context, stack, dict(variables or {}))


class _Context:
    def __init__(
        self,
        root: str,
        sources: dict[str, Source],
        readers: dict[str, IncludeReader],
        resolve: Callable[[str], str] | None,
    ) -> None:
        self.root = root
        self.sources = sources
        self.readers = readers
        self.resolve = resolve


def _default_root(file: str) -> str:
    """The script's folder, or the current one (as ``.``, so included files keep relative names too)."""
    folder = os.path.dirname(file)
    return folder if folder and os.path.isdir(folder) else os.curdir


def _expand(
    source: Source, context: _Context, stack: tuple[str, ...], variables: dict[str, str]
) -> list[Statement]:
    statements: list[Statement] = []
    variables = dict(variables)
    for statement in parse_source(source):
        if isinstance(statement, SetVar) and (
            statement.set_type == "text"
            or (statement.set_type == "defaultParam" and statement.key not in variables)
        ):
            # Include paths may use variables set above them (`include local.`${lib}/common`;`).
            variables[statement.key] = render(statement.value, variables)
        if not isinstance(statement, Include):
            statements.append(statement)
            continue
        # Errors show the include's whole line from the file, as every other syntax error does.
        position = statement.span.position(source.text_of_line(statement.span.line))
        path, text, key = _read(statement, position, source.file, context, variables)
        if key in stack:
            chain = " -> ".join([*(os.path.basename(p) for p in stack), os.path.basename(key)])
            raise ByzerIncludeError(f"include cycle: {chain}", position)
        included = Source(text, path)
        context.sources[path] = included
        statements.extend(_expand(included, context, (*stack, key), variables))
    return statements


def _read(
    statement: Include,
    position: Position,
    including_file: str,
    context: _Context,
    variables: Mapping[str, str],
) -> tuple[str, str, str]:
    """(name, text, cycle key) of the file an include names."""
    kind = statement.type.lower()
    reader = context.readers.get(kind)
    if reader is not None:
        path = _rendered_path(statement, position, variables)
        try:
            name, text = reader(path)
        except Exception as error:
            raise ByzerIncludeError(f"cannot include {statement.type}.`{path}`: {error}", position) from None
        return name, text, name
    path = _resolve(statement, position, including_file, context, variables)
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        raise ByzerIncludeError(f"cannot read included file {path}: {error}", position) from None
    return path, text, os.path.realpath(path)


def _rendered_path(statement: Include, position: Position, variables: Mapping[str, str]) -> str:
    path = render(statement.path, variables) if "$" in statement.path else statement.path
    if not path:
        raise ByzerIncludeError("include needs a path, e.g. include local.`lib/common`", position)
    return path


def _resolve(
    statement: Include,
    position: Position,
    including_file: str,
    context: _Context,
    variables: Mapping[str, str],
) -> str:
    kind = statement.type.lower()
    if kind not in INCLUDE_TYPES:
        raise ByzerIncludeError(
            f"unknown include type '{statement.type}' (supported: {', '.join(INCLUDE_TYPES)})", position
        )
    path = _rendered_path(statement, position, variables)
    if os.path.isabs(path):
        base = ""
    elif kind == "local" and os.path.isfile(including_file):
        base = os.path.dirname(including_file)
    else:
        base = context.root
    written = os.path.normpath(os.path.join(base, path)) if base else os.path.normpath(path)
    # The file read is the one the owner's path rules name (a rooted "/x" is in the home), never the
    # path as written; a path relative to the root goes to them as written, so "../x" is theirs to see.
    as_written = context.resolve is not None and (not base or base == context.root)
    candidate = _checked(statement, position, path if as_written else written, context.resolve)
    for extension in EXTENSIONS:
        if os.path.isfile(candidate + extension):
            return _checked(statement, position, candidate + extension, context.resolve)
    raise ByzerIncludeError(
        f"cannot include {statement.type}.`{statement.path}`: no file {candidate} "
        f"(also tried {candidate}.byzer and {candidate}.mlsql)",
        position,
    )


def _checked(statement: Include, position: Position, path: str, resolve: Callable[[str], str] | None) -> str:
    """The file to read for ``path`` by the owner's path rules; refuses one the owner may not read
    (outside the home, a symlink out of it)."""
    if resolve is None:
        return path
    try:
        return resolve(path)
    except ByzerAuthError as error:
        raise ByzerAuthError(
            f"include {statement.type}.`{statement.path}`: {error.message}", position
        ) from None
