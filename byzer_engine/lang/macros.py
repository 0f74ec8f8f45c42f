"""``!name args;``: macro expansion, just before a macro runs (when the variables are known).

A user macro is a variable holding statement text: ``set loadX='''load csv.`{0}` as {1}''';`` then
``!loadX a.csv t;``. ``{}`` takes the next argument, ``{N}`` argument N, ``{N:default}`` argument N or
the default, ``{:all}`` all arguments as a JSON array; with ``_`` as first argument, the rest are
``-key value`` pairs available to the text as ``${key}``. Built-in macros expand to ``run`` statements
of the ETs the runtime provides. Expanded statements keep the macro's span, so errors point at it.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping

from byzer_engine.lang.errors import ByzerSyntaxError
from byzer_engine.lang.parser import parse_source
from byzer_engine.lang.source import Source
from byzer_engine.lang.statements import Macro, RunET, Statement
from byzer_engine.lang.templating import render

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
    builtin = BUILTINS.get(macro.name) or _BUILTINS_LOWER.get(macro.name.lower())
    if builtin is None:
        raise _error(
            macro,
            f"unknown macro '!{macro.name}' (not a variable, and not one of: "
            + ", ".join(f"!{name}" for name in BUILTINS)
            + ")",
        )
    return [builtin(macro)]


def _error(macro: Macro, message: str) -> ByzerSyntaxError:
    return ByzerSyntaxError(message, macro.span.position())


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
def _args(macro: Macro) -> list[str]:
    return [arg.value for arg in macro.args]


def _need(macro: Macro, count: int, usage: str) -> list[str]:
    args = _args(macro)
    if len(args) < count:
        raise _error(macro, f"'!{macro.name}' needs more arguments: {usage}")
    return args


def _command(macro: Macro, et: str, path: str = "", options: dict[str, str] | None = None) -> RunET:
    return RunET(macro.span, verb="run", table="command", et=et, path=path, options=options or {})


def _desc(macro: Macro) -> Statement:
    table = _need(macro, 1, "!desc TABLE")[0]
    return _command(macro, "ShowTableExt", path=table)


def _show(macro: Macro) -> Statement:
    args = _need(macro, 1, "!show tables|datasources|et|et/NAME|jobs")
    return _command(macro, "ShowCommand", path="/".join(args))


def _kill(macro: Macro) -> Statement:
    return _command(macro, "Kill", path=_need(macro, 1, "!kill JOB_NAME")[0])


def _println(macro: Macro) -> Statement:
    return _command(macro, "PrintCommand", options={"message": " ".join(_args(macro))})


def _assert(macro: Macro) -> Statement:
    args = _need(macro, 2, "!assert TABLE '''EXPRESSION''' \"message\"")
    table, condition = args[0], args[1]
    message = " ".join(args[2:]) if len(args) > 2 else f"assertion failed: {condition}"
    return RunET(
        macro.span,
        verb="run",
        table=table,
        et="AssertExt",
        path="",
        options={"condition": condition, "message": message},
    )


def _cache(macro: Macro) -> Statement:
    args = _need(macro, 1, "!cache TABLE [script|session|application]")
    life_time = args[1] if len(args) > 1 else "script"
    return RunET(
        macro.span,
        verb="run",
        table=args[0],
        et="CacheExt",
        path="",
        options={"execute": "cache", "lifeTime": life_time},
    )


def _uncache(macro: Macro) -> Statement:
    table = _need(macro, 1, "!uncache TABLE")[0]
    return RunET(macro.span, verb="run", table=table, et="CacheExt", path="", options={"execute": "uncache"})


def _last_command(macro: Macro) -> Statement:
    args = _args(macro)
    if len(args) != 2 or args[0].lower() != "named":
        raise _error(macro, "'!lastCommand' is written: !lastCommand named TABLE")
    return RunET(
        macro.span,
        verb="run",
        table="command",
        et="LastCommand",
        path="",
        options={"name": args[1]},
        output=args[1],
    )


def _byzerllm(macro: Macro) -> Statement:
    return _command(macro, "ByzerLLM", options={"args": json.dumps(_args(macro), ensure_ascii=False)})


def _hdfs(macro: Macro) -> Statement:
    return _command(
        macro, "HDFSCommand", options={"parameters": json.dumps(_args(macro), ensure_ascii=False)}
    )


BUILTINS: dict[str, Callable[[Macro], Statement]] = {
    "desc": _desc,
    "show": _show,
    "kill": _kill,
    "println": _println,
    "assert": _assert,
    "cache": _cache,
    "uncache": _uncache,
    "lastCommand": _last_command,
    "byzerllm": _byzerllm,
    "hdfs": _hdfs,
    "fs": _hdfs,
}
_BUILTINS_LOWER = {name.lower(): rule for name, rule in BUILTINS.items()}
