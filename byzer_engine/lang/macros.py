"""``!name args;``: macro expansion, just before a macro runs (when the variables are known).

A user macro is a variable holding statement text: ``set loadX='''load csv.`{0}` as {1}''';`` then
``!loadX a.csv t;``. ``{}`` takes the next argument, ``{N}`` argument N, ``{N:default}`` argument N or
the default, ``{:all}`` all arguments as a JSON array; with ``_`` as first argument, the rest are
``-key value`` pairs available to the text as ``${key}``. Built-in macros (``byzer_engine.lang.macro_rules``, and the
``byzer_engine.macros`` entry points) expand to ``run`` statements of the ETs the runtime provides. Expanded statements keep the macro's span, so errors point at it.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping

from byzer_engine.lang.errors import ByzerSyntaxError
from byzer_engine.lang.macro_rules.base import BuiltinMacro
from byzer_engine.lang.macro_rules.base import macro_error as _error
from byzer_engine.lang.parser import parse_source
from byzer_engine.lang.source import Source
from byzer_engine.lang.statements import Macro, Statement
from byzer_engine.lang.templating import render
from byzer_engine.plugins import BrokenPlugin, PluginRegistry

_PLACEHOLDER = re.compile(r"\{(?:(:all)|(\d+)(?::([^{}]*))?)?\}")
_MAX_DEPTH = 16


def expand_macro(macro: Macro, variables: Mapping[str, str]) -> list[Statement]:
    """The statements ``macro`` stands for; ``ByzerSyntaxError`` at the macro for unknown names or bad args."""
    return _expand(macro, variables, 0)


def _expand(macro: Macro, variables: Mapping[str, str], depth: int) -> list[Statement]:
    if depth > _MAX_DEPTH:
        raise _error(macro, f"macro '!{macro.name}' expands into itself too deeply")
    if macro.name in variables:
        text = _fill_user_macro(macro, variables[macro.name], variables)
        expanded: list[Statement] = []
        for statement in _parse_expansion(macro, text):
            if isinstance(statement, Macro):
                expanded.extend(
                    _expand(dataclasses.replace(statement, span=macro.span), variables, depth + 1)
                )
            else:
                expanded.append(statement)
        return expanded
    try:
        builtin = BUILTIN_MACROS.find(macro.name)
    except BrokenPlugin as exc:
        raise _error(macro, str(exc).replace("macros '", "macro '!", 1)) from None
    if builtin is None:
        raise _error(
            macro,
            f"unknown macro '!{macro.name}' (not a variable, and not one of: "
            + ", ".join(f"!{name}" for name in BUILTIN_MACROS.names())
            + ")",
        )
    return builtin().expand(macro)


def _fill_user_macro(macro: Macro, template: str, variables: Mapping[str, str]) -> str:
    args = [arg.value for arg in macro.args]
    if args and args[0] == "_":
        named = _named_arguments(macro, args[1:])
        return render(template, {**variables, **named}, file=macro.span.file, line=macro.span.line)
    counter = iter(range(len(args) + 1))

    def fill(match: re.Match[str]) -> str:
        if match.group(1):
            return json.dumps(args, ensure_ascii=False)
        number, default = match.group(2), match.group(3)
        index = next(counter) if number is None else int(number)
        if index < len(args):
            return args[index]
        if default is not None:
            return default
        raise _error(macro, f"macro '!{macro.name}' needs argument {index} but got {len(args)}")

    return _PLACEHOLDER.sub(fill, template)


def _named_arguments(macro: Macro, args: list[str]) -> dict[str, str]:
    named: dict[str, str] = {}
    index = 0
    while index < len(args):
        key = args[index]
        if not key.startswith("-") or len(key) < 2:
            raise _error(
                macro, f"macro '!{macro.name}': expected '-key value' pairs after '_', found '{key}'"
            )
        if index + 1 >= len(args):
            raise _error(macro, f"macro '!{macro.name}': no value after '{key}'")
        named[key.lstrip("-")] = args[index + 1]
        index += 2
    return named


def _parse_expansion(macro: Macro, text: str) -> list[Statement]:
    try:
        statements = parse_source(Source(text, macro.span.file))
    except ByzerSyntaxError as error:
        raise ByzerSyntaxError(
            f"in the expansion of macro '!{macro.name}': {error.message}",
            macro.span.position(),
            error.expected,
        ) from None
    return [dataclasses.replace(statement, span=macro.span) for statement in statements]


# -- built-in macros ----------------------------------------------------------------------------
BUILTIN_MACROS: PluginRegistry[BuiltinMacro] = PluginRegistry(
    "macros", BuiltinMacro, ("byzer_engine.lang.macro_rules",)
)
