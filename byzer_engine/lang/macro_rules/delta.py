"""``!delta history|info|vacuum PATH [...]``: Delta table commands (the DeltaCommand ET)."""

from __future__ import annotations

from byzer_engine.lang.macro_rules.base import BuiltinMacro, args_json, need_args, run_et
from byzer_engine.lang.statements import Macro, Statement


class Delta(BuiltinMacro):
    name = "delta"
    usage = "!delta history|info|vacuum PATH [RETENTION_HOURS]"

    def expand(self, macro: Macro) -> list[Statement]:
        need_args(macro, 2, self.usage)
        return [run_et(macro, "DeltaCommand", options={"parameters": args_json(macro)})]
