"""The built-in macro interface and the helpers its implementations share."""

from __future__ import annotations

import json
from typing import ClassVar

from byzer_engine.lang.errors import ByzerSyntaxError
from byzer_engine.lang.statements import Macro, RunET, Statement


class BuiltinMacro:
    """``!name args;`` expanding to statements (usually ``run`` of an ET the runtime provides)."""

    name: ClassVar[str] = ""
    # One line for the docs and for error messages: how the macro is written.
    usage: ClassVar[str] = ""

    def expand(self, macro: Macro) -> list[Statement]:
        raise macro_error(macro, f"'!{macro.name}' cannot be expanded")


def macro_error(macro: Macro, message: str) -> ByzerSyntaxError:
    return ByzerSyntaxError(message, macro.span.position())


def macro_args(macro: Macro) -> list[str]:
    return [arg.value for arg in macro.args]


def need_args(macro: Macro, count: int, usage: str) -> list[str]:
    args = macro_args(macro)
    if len(args) < count:
        raise macro_error(macro, f"'!{macro.name}' needs more arguments: {usage}")
    return args


def run_et(
    macro: Macro,
    et: str,
    *,
    table: str = "command",
    path: str = "",
    options: dict[str, str] | None = None,
    output: str | None = None,
) -> RunET:
    """``run TABLE as ET.`PATH` where OPTIONS [as OUTPUT]`` at the macro's span."""
    return RunET(macro.span, verb="run", table=table, et=et, path=path, options=options or {}, output=output)


def args_json(macro: Macro) -> str:
    return json.dumps(macro_args(macro), ensure_ascii=False)
