"""``!python env|conf "K=V";``, ``!ray on T '''code''' named O;`` and ``!python on T '''code''' [named O];``.

Registered through the ``byzer_engine.macros`` entry-point group; each expands to a ``run`` of an ET
of this package (``PythonCommand``, ``Ray``).
"""

from __future__ import annotations

from byzer_engine.lang.macro_rules.base import BuiltinMacro, args_json, macro_args, macro_error, run_et
from byzer_engine.lang.statements import Macro, Statement

PER_PARTITION_OPTION = "perPartition"


def _on_statement(macro: Macro, usage: str, *, per_partition: bool) -> list[Statement]:
    args = macro_args(macro)
    # !ray on T CODE named O   /   !python on T CODE [named O]
    if len(args) < 3 or args[0].lower() != "on":
        raise macro_error(macro, f"'!{macro.name}' is written: {usage}")
    table, code = args[1], args[2]
    output: str | None = None
    rest = args[3:]
    if rest:
        if len(rest) != 2 or rest[0].lower() != "named":
            raise macro_error(macro, f"'!{macro.name}' is written: {usage}")
        output = rest[1]
    elif not per_partition:
        raise macro_error(macro, f"'!{macro.name}' needs 'named OUTPUT': {usage}")
    options = {"inputTable": table, "code": code}
    if output:
        options["outputTable"] = output
    if per_partition:
        options[PER_PARTITION_OPTION] = "true"
    return [run_et(macro, "Ray", table="command", options=options, output=output)]


class RayMacro(BuiltinMacro):
    name = "ray"
    usage = "!ray on TABLE '''CODE''' named OUTPUT"

    def expand(self, macro: Macro) -> list[Statement]:
        return _on_statement(macro, self.usage, per_partition=False)


class PythonMacro(BuiltinMacro):
    name = "python"
    usage = "!python env \"K=V\" | !python conf \"K=V\" | !python on TABLE '''CODE''' [named OUTPUT]"

    def expand(self, macro: Macro) -> list[Statement]:
        args = macro_args(macro)
        if args and args[0].lower() == "on":
            return _on_statement(macro, self.usage, per_partition=True)
        if len(args) < 2 or args[0] not in ("env", "conf"):
            raise macro_error(macro, f"'!python' is written: {self.usage}")
        return [run_et(macro, "PythonCommand", options={"parameters": args_json(macro)})]


__all__ = ["PythonMacro", "RayMacro"]
