"""Macros that pass their arguments to a command ET as a JSON list."""

from __future__ import annotations

from byzer_engine.lang.macro_rules.base import BuiltinMacro, args_json, run_et
from byzer_engine.lang.statements import Macro, Statement


class ByzerLLM(BuiltinMacro):
    name = "byzerllm"
    usage = "!byzerllm setup|model ... ARGS"

    def expand(self, macro: Macro) -> list[Statement]:
        return [run_et(macro, "ByzerLLM", options={"args": args_json(macro)})]


class Hdfs(BuiltinMacro):
    name = "hdfs"
    usage = "!hdfs -ls|-cat|-rm|-mkdir|-mv|-cp|-du|-count|-tail ARGS"

    def expand(self, macro: Macro) -> list[Statement]:
        return [run_et(macro, "HDFSCommand", options={"parameters": args_json(macro)})]


class Fs(Hdfs):
    name = "fs"
    usage = "!fs -ls|-cat|-rm|-mkdir|-mv|-cp|-du|-count|-tail ARGS"
