"""Evaluating template expressions: variable lookup, the methods scripts call on values, and how values
print (Java's way: ``true``, ``[a, b]``), so rendered SQL matches what Byzer's Velocity produced.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime

from byzer_engine.lang import render_budget
from byzer_engine.lang.jodatime import JodaDate, date_variables, parse_moment
from byzer_engine.lang.velocity_expr import (
    Binary,
    Interpolated,
    ListExpr,
    Literal,
    MapExpr,
    Member,
    RangeExpr,
    Reference,
    Unary,
)

_DATE_NAMES = frozenset(("date", "today", "yesterday", "tomorrow", "theDayBeforeYesterday"))
_PLACEHOLDER = re.compile(r"\{(\d+)\}")
_MAX_RANGE = 100_000


class TemplateHelper:
    """``${template.get("tplVar", "a0", ...)}``: the variable ``tplVar`` with ``{0}``, ``{1}``... filled."""

    def get(self, scope: Scope, args: list[object]) -> object:
        if not args:
            return None
        template = scope.lookup(stringify(args[0]))
        if not isinstance(template, str):
            return None
        values = [stringify(a) for a in args[1:]]

        def fill(match: re.Match[str]) -> str:
            index = int(match.group(1))
            return values[index] if index < len(values) else match.group()

        return scope.render_text(_PLACEHOLDER.sub(fill, template))


_TEMPLATE_HELPER = TemplateHelper()


class Scope:
    """What a template sees: the script's variables, then ``#set`` / ``#foreach`` locals on top."""

    def __init__(self, variables: Mapping[str, str], render_text: Callable[[str], str] | None = None) -> None:
        self.variables = variables
        self.locals: dict[str, object] = {}
        self.render_text: Callable[[str], str] = render_text or (lambda text: text)
        self._dates: dict[str, str] | None = None

    def lookup(self, name: str) -> object:
        if name in self.locals:
            return self.locals[name]
        if name in self.variables:
            return self.variables[name]
        if name == "template":
            return _TEMPLATE_HELPER
        if name in _DATE_NAMES:
            # Byzer always knows the dates, even when the caller passed no built-in variables.
            if self._dates is None:
                self._dates = date_variables(datetime.now())
            return self._dates[name]
        return None


def resolve(reference: Reference, scope: Scope) -> tuple[object, int]:
    """The reference's value and how many of its members applied (the rest stays as written)."""
    members = reference.members
    if members and all(m.args is None and m.name != "[]" for m in members):
        dotted = ".".join([reference.name, *(m.name for m in members)])
        value = scope.lookup(dotted) if dotted in scope.locals or dotted in scope.variables else None
        if value is not None:
            return value, len(members)
    value = scope.lookup(reference.name)
    if value is None:
        return None, 0
    for applied, member in enumerate(members):
        try:
            following = apply_member(value, member, scope)
        except (
            KeyError,
            IndexError,
            TypeError,
            ValueError,
            OverflowError,
            re.error,
            render_budget.regex_error(),
        ):
            following = None
        if following is None:
            return value, applied
        value = following
    return value, len(members)


def apply_member(value: object, member: Member, scope: Scope) -> object:
    return render_budget.active().sized(_apply_member(value, member, scope))


def _apply_member(value: object, member: Member, scope: Scope) -> object:
    name = member.name
    args = [evaluate(a, scope) for a in member.args] if member.args is not None else None
    if name == "[]":
        assert args is not None
        index = args[0]
        if isinstance(value, list):
            return value[int(str(index))]
        if isinstance(value, dict):
            return value.get(index)
        return None
    if isinstance(value, TemplateHelper):
        return value.get(scope, args or []) if name == "get" and args is not None else None
    if isinstance(value, JodaDate):
        return value.call(name, args or []) if args is not None else None
    if isinstance(value, dict):
        return _dict_member(value, name, args)
    if isinstance(value, list):
        return _list_member(value, name, args)
    if isinstance(value, str):
        if args is not None and (name != "toString" or args) and _is_joda_method(name):
            moment = parse_moment(value)
            if moment is not None:
                return JodaDate(moment).call(name, args)
        return _string_member(value, name, args)
    if isinstance(value, (int, float)) and args is not None:
        if name == "toString":
            return stringify(value)
        if name == "intValue":
            return int(value)
        if name == "doubleValue":
            return float(value)
    return None


def _is_joda_method(name: str) -> bool:
    return name == "toString" or name.startswith(("plus", "minus", "get", "with"))


def _dict_member(value: dict[object, object], name: str, args: list[object] | None) -> object:
    if args is None or (not args and name in value):
        return value.get(name)
    methods: dict[str, Callable[[], object]] = {
        "get": lambda: value.get(args[0]),
        "containsKey": lambda: args[0] in value,
        "keySet": lambda: list(value),
        "values": lambda: list(value.values()),
        "size": lambda: len(value),
        "isEmpty": lambda: not value,
    }
    return methods[name]() if name in methods else None


def _list_member(value: list[object], name: str, args: list[object] | None) -> object:
    if args is None:
        return None
    methods: dict[str, Callable[[], object]] = {
        "size": lambda: len(value),
        "get": lambda: value[int(str(args[0]))],
        "isEmpty": lambda: not value,
        "contains": lambda: any(equal(item, args[0]) for item in value),
        "indexOf": lambda: next((i for i, item in enumerate(value) if equal(item, args[0])), -1),
        "subList": lambda: value[int(str(args[0])) : int(str(args[1]))],
    }
    return methods[name]() if name in methods else None


def _string_member(value: str, name: str, args: list[object] | None) -> object:
    if args is None:
        return None
    text = [stringify(a) for a in args]
    methods: dict[str, Callable[[], object]] = {
        "toString": lambda: value,
        "toUpperCase": value.upper,
        "toLowerCase": value.lower,
        "trim": value.strip,
        "length": lambda: len(value),
        "size": lambda: len(value),
        "isEmpty": lambda: not value,
        "contains": lambda: text[0] in value,
        "startsWith": lambda: value.startswith(text[0]),
        "endsWith": lambda: value.endswith(text[0]),
        "equals": lambda: value == text[0],
        "equalsIgnoreCase": lambda: value.lower() == text[0].lower(),
        "indexOf": lambda: value.find(text[0]),
        "lastIndexOf": lambda: value.rfind(text[0]),
        "substring": lambda: value[int(text[0]) : int(text[1])] if len(text) > 1 else value[int(text[0]) :],
        "replace": lambda: value.replace(text[0], text[1]),
        "replaceAll": lambda: render_budget.regex_sub(text[0], re.sub(r"\$(\d)", r"\\g<\1>", text[1]), value),
        "split": lambda: _java_split(value, text[0]),
        "concat": lambda: value + text[0],
        "charAt": lambda: value[int(text[0])],
    }
    return methods[name]() if name in methods else None


def _java_split(value: str, pattern: str) -> list[object]:
    parts: list[object] = list(render_budget.regex_split(pattern, value))
    while parts and parts[-1] == "":
        parts.pop()  # Java drops trailing empty strings
    return parts


# -- expressions --------------------------------------------------------------------------------
def evaluate(node: object, scope: Scope) -> object:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Reference):
        value, applied = resolve(node, scope)
        return value if applied == len(node.members) else None
    if isinstance(node, Interpolated):
        return render_budget.active().sized(scope.render_text(node.text))
    if isinstance(node, ListExpr):
        return [evaluate(item, scope) for item in node.items]
    if isinstance(node, RangeExpr):
        start, end = to_number(evaluate(node.start, scope)), to_number(evaluate(node.end, scope))
        if start is None or end is None:
            return None
        first, last = int(start), int(end)
        step = 1 if last >= first else -1
        last = first + step * min(abs(last - first), _MAX_RANGE)  # a runaway range must not exhaust memory
        return list(range(first, last + step, step))
    if isinstance(node, MapExpr):
        return {evaluate(k, scope): evaluate(v, scope) for k, v in node.items}
    if isinstance(node, Unary):
        operand = evaluate(node.operand, scope)
        if node.op == "!":
            return not truthy(operand)
        number = to_number(operand)
        return None if number is None else -number
    if isinstance(node, Binary):
        return _binary(node, scope)
    return None


def _binary(node: Binary, scope: Scope) -> object:
    return render_budget.active().sized(_binary_value(node, scope))


def _binary_value(node: Binary, scope: Scope) -> object:
    op = node.op
    left = evaluate(node.left, scope)
    if op == "&&":
        return truthy(left) and truthy(evaluate(node.right, scope))
    if op == "||":
        return truthy(left) or truthy(evaluate(node.right, scope))
    right = evaluate(node.right, scope)
    if op == "==":
        return equal(left, right)
    if op == "!=":
        return not equal(left, right)
    a, b = to_number(left), to_number(right)
    if op in ("<", ">", "<=", ">="):
        if a is not None and b is not None:
            pair: tuple[object, object] = (a, b)
        elif isinstance(left, str) and isinstance(right, str):
            pair = (left, right)
        else:
            return False
        x, y = pair
        return {"<": x < y, ">": x > y, "<=": x <= y, ">=": x >= y}[op]  # type: ignore[operator]
    if a is None or b is None:
        if op == "+" and left is not None and right is not None:
            return stringify(left) + stringify(right)
        return None
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if b == 0:
        return None
    if op == "/":
        return a // b if isinstance(a, int) and isinstance(b, int) else a / b
    return a % b


def to_number(value: object) -> int | float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            try:
                return float(text)
            except ValueError:
                return None
    return None


def equal(left: object, right: object) -> bool:
    if left is None or right is None:
        return left is right
    if isinstance(left, (int, float)) or isinstance(right, (int, float)):
        a, b = to_number(left), to_number(right)
        if a is not None and b is not None and not isinstance(left, bool) and not isinstance(right, bool):
            return a == b
    return stringify(left) == stringify(right)


def truthy(value: object) -> bool:
    if value is None or value is False:
        return False
    if isinstance(value, str):
        return value != "" and value.lower() != "false"
    if isinstance(value, (list, dict)):
        return bool(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value != 0
    return True


def stringify(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(stringify(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{stringify(k)}={stringify(v)}" for k, v in value.items()) + "}"
    return str(value)
