"""``!python env "K=V";`` and ``!python conf "K=V";``: the owner's Byzer-python settings.

They live in the owner's store (``ETContext.owner_state``), so later statements and later scripts of
the same owner see them; setting a key again replaces it. ``:name`` words in a value are replaced by
script variables. The ``PythonCommand`` ET (what the ``!python`` macro expands to) returns the
settings table ``(k, v, config)``.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime.ets.base import ET, ETContext, ETParam

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

STATE_KEY = "byzer_python"
KINDS = ("env", "conf")
_COLON_NAME = re.compile(r"(?<![:\w]):([A-Za-z_][A-Za-z0-9_]*)")
_lock = threading.Lock()


@dataclass
class PythonSettings:
    env: dict[str, str] = field(default_factory=dict)
    conf: dict[str, str] = field(default_factory=dict)

    def of(self, kind: str) -> dict[str, str]:
        return self.env if kind == "env" else self.conf


def settings_of(owner_state: dict[str, Any]) -> PythonSettings:
    with _lock:
        found = owner_state.get(STATE_KEY)
        if not isinstance(found, PythonSettings):
            found = PythonSettings()
            owner_state[STATE_KEY] = found
        return found


def substitute(value: str, variables: Mapping[str, str]) -> str:
    """``:name`` replaced by the script variable ``name`` (left as written when there is none)."""
    return _COLON_NAME.sub(lambda m: variables.get(m.group(1), m.group(0)), value)


def parse_setting(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ByzerError(f'expected KEY=VALUE, found {text!r} (e.g. !python conf "schema=st(field(a,long))")')
    return key.strip(), value.strip()


class PythonCommand(ET):
    name: ClassVar[str] = "PythonCommand"
    doc: ClassVar[str] = (
        '!python env "K=V" / !python conf "K=V": settings of the owner\'s Python code (run command as '
        "Ray); returns the settings table (k, v, config)."
    )
    params: ClassVar[tuple[ETParam, ...]] = (
        ETParam(
            "parameters", 'the macro\'s arguments as a JSON list, e.g. ["conf", "schema=..."]', required=True
        ),
    )
    example: ClassVar[str] = '!python env "PYTHON_ENV=:";\n!python conf "schema=st(field(a,long))";'

    def run(
        self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]
    ) -> DataFrame | None:
        try:
            args = json.loads(options.get("parameters") or "[]")
        except ValueError:
            raise ByzerError("PythonCommand: parameters must be a JSON list") from None
        if not args or args[0] not in KINDS:
            raise ByzerError('write !python env "K=V" or !python conf "K=V"')
        kind = args[0]
        settings = settings_of(ctx.owner_state)
        with _lock:
            for text in args[1:]:
                key, value = parse_setting(text)
                settings.of(kind)[key] = substitute(value, ctx.variables)
            rows = [(k, v, kind) for k, v in settings.of(kind).items()]
        return ctx.spark.createDataFrame(rows, "k string, v string, config string")


__all__ = ["PythonCommand", "PythonSettings", "parse_setting", "settings_of", "substitute"]
