"""``!if '''COND''';`` conditions, evaluated with Spark SQL.

A condition may start with assignments, ``select EXPR as :x [, ...] [from ...];``, and ends with an
expression; ``:name`` is a script variable (or a value assigned before), written into the SQL as a
literal. ``&&`` and ``||`` mean ``and`` and ``or``, as in Byzer.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import re
from typing import Any

from byzer_engine import lang
from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime.colon_refs import replace_refs, split_outside_quotes
from byzer_engine.runtime.executor.state import ScriptState

_AS_BEFORE = re.compile(r"\bas\s*$", re.I)
_SELECT = re.compile(r"^\s*select\b", re.I)


def sql_literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"double('{value}')" if math.isnan(value) or math.isinf(value) else repr(value)
    if isinstance(value, decimal.Decimal):
        return f"{value}BD"
    if isinstance(value, dt.datetime):
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _logical_operators(text: str) -> str:
    out = []
    for part in re.split(r"""('(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"|`[^`]*`)""", text):
        if part[:1] in {"'", '"', "`"}:
            out.append(part)
        else:
            out.append(part.replace("&&", " and ").replace("||", " or "))
    return "".join(out)


class ConditionEvaluator:
    def __init__(self, state: ScriptState) -> None:
        self.state = state

    def _value(self, name: str) -> Any:
        if name in self.state.condition_values:
            return self.state.condition_values[name]
        variables = self.state.resolved_variables()
        if name in variables:
            return variables[name]
        raise ByzerError(f"unknown variable ':{name}' in the condition")

    def _to_sql(self, text: str) -> str:
        def replace(name: str, before: str) -> str:
            # ``as :x`` names a value to assign; every other ``:x`` is a value.
            return name if _AS_BEFORE.search(before) else sql_literal(self._value(name))

        return _logical_operators(replace_refs(text, replace))

    def _assign(self, query: str) -> None:
        rows = self.state.sql(self._to_sql(query)).take(1)
        if not rows:
            raise ByzerError("the select in the condition returned no rows")
        self.state.condition_values.update(rows[0].asDict())

    def evaluate(self, condition: str) -> bool:
        text = lang.render(condition, self.state.resolved_variables())
        parts = split_outside_quotes(text, ";")
        if not parts:
            raise ByzerError("empty condition")
        for part in parts[:-1]:
            if not _SELECT.match(part):
                raise ByzerError(f"only 'select ... as :name' may come before the condition, not: {part}")
            self._assign(part)
        expression = parts[-1]
        if _SELECT.match(expression):
            raise ByzerError("the condition must end with an expression after the select")
        value = self.state.sql(f"SELECT ({self._to_sql(expression)}) AS condition").take(1)[0][0]
        if not isinstance(value, bool):
            raise ByzerError(f"the condition is {value!r}, not true or false: {expression.strip()}")
        return value
