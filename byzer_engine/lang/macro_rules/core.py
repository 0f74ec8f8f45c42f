"""The engine's own macros: tables, jobs, messages, assertions and caching."""

from __future__ import annotations

import re

from byzer_engine.lang.macro_rules.base import BuiltinMacro, macro_args, macro_error, need_args, run_et
from byzer_engine.lang.statements import Explain, Macro, Select, Statement

_NAME = re.compile(r"`[^`]+`|[A-Za-z_][A-Za-z0-9_]*")


class Desc(BuiltinMacro):
    name = "desc"
    usage = "!desc TABLE"

    def expand(self, macro: Macro) -> list[Statement]:
        return [run_et(macro, "ShowTableExt", path=need_args(macro, 1, self.usage)[0])]


class Show(BuiltinMacro):
    name = "show"
    usage = "!show tables|datasources|et|et/NAME|jobs|version"

    def expand(self, macro: Macro) -> list[Statement]:
        return [run_et(macro, "ShowCommand", path="/".join(need_args(macro, 1, self.usage)))]


class Kill(BuiltinMacro):
    name = "kill"
    usage = "!kill JOB_NAME"

    def expand(self, macro: Macro) -> list[Statement]:
        return [run_et(macro, "Kill", path=need_args(macro, 1, self.usage)[0])]


class Println(BuiltinMacro):
    name = "println"
    usage = "!println MESSAGE"

    def expand(self, macro: Macro) -> list[Statement]:
        return [run_et(macro, "PrintCommand", options={"message": " ".join(macro_args(macro))})]


class Assert(BuiltinMacro):
    name = "assert"
    usage = "!assert TABLE '''EXPRESSION''' \"message\""

    def expand(self, macro: Macro) -> list[Statement]:
        args = need_args(macro, 2, self.usage)
        table, condition = args[0], args[1]
        message = " ".join(args[2:]) if len(args) > 2 else f"assertion failed: {condition}"
        return [run_et(macro, "AssertExt", table=table, options={"condition": condition, "message": message})]


class Cache(BuiltinMacro):
    name = "cache"
    usage = "!cache TABLE [script|session|application]"

    def expand(self, macro: Macro) -> list[Statement]:
        args = need_args(macro, 1, self.usage)
        life_time = args[1] if len(args) > 1 else "script"
        options = {"execute": "cache", "lifeTime": life_time}
        return [run_et(macro, "CacheExt", table=args[0], options=options)]


class Uncache(BuiltinMacro):
    name = "uncache"
    usage = "!uncache TABLE"

    def expand(self, macro: Macro) -> list[Statement]:
        table = need_args(macro, 1, self.usage)[0]
        return [run_et(macro, "CacheExt", table=table, options={"execute": "uncache"})]


class LastCommand(BuiltinMacro):
    name = "lastCommand"
    usage = "!lastCommand named TABLE"

    def expand(self, macro: Macro) -> list[Statement]:
        args = macro_args(macro)
        if len(args) != 2 or args[0].lower() != "named":
            raise macro_error(macro, f"'!lastCommand' is written: {self.usage}")
        return [run_et(macro, "LastCommand", options={"name": args[1]}, output=args[1])]


class ExplainMacro(BuiltinMacro):
    """``!explain;`` explains every later statement; ``!explain TABLE;`` how TABLE would be computed;
    ``!explain '''STATEMENTS''';`` those statements (none of them runs)."""

    name = "explain"
    usage = "!explain [TABLE | '''STATEMENTS''']"

    def expand(self, macro: Macro) -> list[Statement]:
        from byzer_engine.lang.parser import parse_source
        from byzer_engine.lang.source import Source

        args = macro_args(macro)
        if not args:
            return [Explain(macro.span)]
        if len(args) > 1:
            raise macro_error(macro, f"'!explain' takes one argument: {self.usage}")
        text = args[0].strip()
        if _NAME.fullmatch(text):
            table = text.strip("`")
            query = Select(macro.span, sql=f"select * from `{table}`", table="", reads=(table,))
            return [Explain(macro.span, target=query)]
        statements = parse_source(Source(text, macro.span.file, macro.span.line, macro.span.column))
        if not statements:
            raise macro_error(macro, f"'!explain' found no statement to explain: {self.usage}")
        return [Explain(macro.span, target=s) for s in statements]
