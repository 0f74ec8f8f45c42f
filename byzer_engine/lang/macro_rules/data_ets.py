"""Macros of the data-processing ETs: ``!tableRepartition``, ``!split`` and ``!emptyTable``."""

from __future__ import annotations

from byzer_engine.lang.macro_rules.base import BuiltinMacro, macro_args, macro_error, run_et
from byzer_engine.lang.statements import Macro, Statement

# ``!tableRepartition`` flags → TableRepartition options.
_REPARTITION_FLAGS = {"-num": "partitionNum", "-t": "partitionType", "-c": "partitionCols", "-s": "shuffle"}


class TableRepartition(BuiltinMacro):
    name = "tableRepartition"
    usage = "!tableRepartition _ -i TABLE -num N [-t hash|range] [-c COLS] [-s false] -o OUTPUT"

    def expand(self, macro: Macro) -> list[Statement]:
        args = macro_args(macro)
        if not args or args[0] != "_" or len(args) % 2 == 0:
            raise macro_error(macro, f"'!tableRepartition' is written: {self.usage}")
        pairs = dict(zip(args[1::2], args[2::2], strict=True))
        unknown = [k for k in pairs if k not in ("-i", "-o", *_REPARTITION_FLAGS)]
        if unknown or "-i" not in pairs or "-num" not in pairs or "-o" not in pairs:
            raise macro_error(macro, f"'!tableRepartition' is written: {self.usage}")
        options = {key: pairs[flag] for flag, key in _REPARTITION_FLAGS.items() if flag in pairs}
        return [run_et(macro, "TableRepartition", table=pairs["-i"], options=options, output=pairs["-o"])]


class Split(BuiltinMacro):
    name = "split"
    usage = '!split TABLE by LABEL_COLUMN with "RATE0,RATE1" named OUTPUT'

    def expand(self, macro: Macro) -> list[Statement]:
        args = macro_args(macro)
        # As in Byzer, arguments 0, 2, 4 and 6 count; the words between them are for the reader.
        if len(args) != 7:
            raise macro_error(macro, f"'!split' is written: {self.usage}")
        options = {"labelCol": args[2], "sampleRate": args[4]}
        return [run_et(macro, "RateSampler", table=args[0], options=options, output=args[6])]


class EmptyTable(BuiltinMacro):
    name = "emptyTable"
    usage = "!emptyTable [named OUTPUT]"

    def expand(self, macro: Macro) -> list[Statement]:
        args = macro_args(macro)
        if args and (len(args) != 2 or args[0].lower() != "named"):
            raise macro_error(macro, f"'!emptyTable' is written: {self.usage}")
        return [run_et(macro, "EmptyTable", output=args[1] if args else None)]
