"""``render``: Byzer's statement templating, in Apache Velocity's style.

- ``${name}`` / ``$name`` (``$!name`` renders nothing when missing); an unknown variable stays as written.
- Method calls on values: ``${date.toString("yyyyMMdd")}``, ``${date.minusDays(1).toString("yyyy-MM-dd")}``,
  ``$cols.size()``, ``$s.toUpperCase()``, and ``${template.get("tpl", "a0", ...)}``.
- Directives: ``#set($x = ...)``, ``#if(...)`` / ``#elseif(...)`` / ``#else`` / ``#end``,
  ``#foreach($c in $list)`` ... ``#end`` (with ``$foreach.index``, ``count``, ``hasNext``, ``first``, ``last``).
  A directive alone on its line takes its line with it, as Velocity does.
- A ``#`` that starts no directive stays as written (``split(name, "#")``, ``'#tag'``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from byzer_engine.lang import render_budget
from byzer_engine.lang.source import Source
from byzer_engine.lang.velocity_expr import (
    ExpressionError,
    Reference,
    find_closing,
    parse_expression,
    parse_reference,
)
from byzer_engine.lang.velocity_values import Scope, evaluate, resolve, stringify, truthy

_MARK = re.compile(r"[$#]")
_DIRECTIVE = re.compile(r"#(\{)?(set|if|elseif|else|end|foreach)(?(1)\})")
_SET_TARGET = re.compile(r"\s*\$!?\{?([A-Za-z_][A-Za-z0-9_]*)\}?\s*=")
_FOREACH_HEAD = re.compile(r"\s*\$!?\{?([A-Za-z_][A-Za-z0-9_]*)\}?\s+in\s", re.IGNORECASE)
_WORD_CHAR = re.compile(r"[A-Za-z0-9_]")
_MAX_LOOP_ITEMS = 100_000  # a runaway range must not hang the engine
_MAX_NESTING = 16


@dataclass(frozen=True)
class _SetNode:
    name: str
    value: object


@dataclass(frozen=True)
class _IfNode:
    branches: tuple[tuple[object | None, tuple[object, ...]], ...]  # (condition or None for #else, body)


@dataclass(frozen=True)
class _ForeachNode:
    name: str
    items: object
    body: tuple[object, ...]


def render(
    text: str, variables: Mapping[str, str], *, file: str = "<template>", line: int = 1, column: int = 1
) -> str:
    """Render ``text`` with ``variables``; ``file``/``line``/``column`` place template errors in the script."""
    if "$" not in text and "#" not in text:
        return text
    source = Source(text, file, line, column)
    try:
        with render_budget.rendering():
            return _render(source, variables)
    except RecursionError:
        raise source.error("template nested too deeply", 0) from None
    except render_budget.TemplateLimitError as exc:
        raise source.error(exc.message, 0) from None


def _render(source: Source, variables: Mapping[str, str]) -> str:
    file = source.file
    nodes = _TemplateParser(source).parse()
    scope = Scope(variables)
    depth = [0]

    def render_inner(inner: str) -> str:
        # Strings and template.get render their text again; a template that reaches itself stops here.
        if depth[0] >= _MAX_NESTING or ("$" not in inner and "#" not in inner):
            return inner
        depth[0] += 1
        try:
            return _render_nodes(_TemplateParser(Source(inner, file)).parse(), scope)
        finally:
            depth[0] -= 1

    scope.render_text = render_inner
    return _render_nodes(nodes, scope)


# -- parsing ------------------------------------------------------------------------------------
_IF_CLOSERS = frozenset(("elseif", "else", "end"))
_END_ONLY = frozenset(("end",))


class _TemplateParser:
    def __init__(self, source: Source) -> None:
        self.source = source
        self.text = source.text
        self.pos = 0

    def parse(self) -> list[object]:
        nodes, _closer, _condition = self._block(frozenset(), "", 0)
        return nodes

    def _block(
        self, closers: frozenset[str], opener: str, opened_at: int
    ) -> tuple[list[object], str, object]:
        """Nodes up to one of ``closers`` (returned with an ``#elseif`` condition), or the text's end."""
        nodes: list[object] = []
        buffer: list[str] = []
        text = self.text
        while True:
            match = _MARK.search(text, self.pos)
            if match is None:
                buffer.append(text[self.pos :])
                self.pos = len(text)
                break
            at = match.start()
            buffer.append(text[self.pos : at])
            self.pos = at
            if text[at] == "$":
                parsed = parse_reference(text, at)
                if parsed is None:
                    buffer.append("$")
                    self.pos = at + 1
                else:
                    _flush(buffer, nodes)
                    nodes.append(parsed[0])
                    self.pos = parsed[1]
                continue
            directive = _DIRECTIVE.match(text, at)
            if directive is None or not self._is_directive(directive):
                buffer.append("#")
                self.pos = at + 1
                continue
            name = directive.group(2)
            if name in _IF_CLOSERS:
                if name not in closers:
                    buffer.append(directive.group())  # a stray #else / #end is plain text
                    self.pos = directive.end()
                    continue
                condition: object = None
                end = directive.end()
                if name == "elseif":
                    inner, offset, end = self._arguments(name, at, end)
                    condition = self._expression(inner, offset)
                self._gobble(buffer, at, end)
                _flush(buffer, nodes)
                return nodes, name, condition
            inner, offset, end = self._arguments(name, at, directive.end())
            self._gobble(buffer, at, end)
            _flush(buffer, nodes)
            nodes.append(self._directive(name, at, inner, offset))
        _flush(buffer, nodes)
        if closers:
            raise self.source.error(f"'#{opener}' without a matching '#end'", opened_at)
        return nodes, "", None

    def _is_directive(self, match: re.Match[str]) -> bool:
        after = match.end()
        if match.group(2) in ("set", "if", "elseif", "foreach"):
            return self.text[after:].lstrip(" \t").startswith("(")
        return match.group(1) is not None or not _WORD_CHAR.match(self.text, after)

    def _arguments(self, name: str, at: int, after: int) -> tuple[str, int, int]:
        """The text inside the directive's parentheses, its offset, and where the directive ends."""
        open_at = self.text.index("(", after)
        close = find_closing(self.text, open_at)
        if close == -1:
            raise self.source.error(f"'#{name}' is missing its closing ')'", at)
        return self.text[open_at + 1 : close], open_at + 1, close + 1

    def _expression(self, text: str, offset: int) -> object:
        try:
            return parse_expression(text, offset)
        except ExpressionError as error:
            raise self.source.error(f"invalid template expression: {error}", error.offset) from None

    def _directive(self, name: str, at: int, inner: str, offset: int) -> object:
        if name == "set":
            target = _SET_TARGET.match(inner)
            if target is None:
                raise self.source.error("expected '#set($name = value)'", at)
            return _SetNode(target.group(1), self._expression(inner[target.end() :], offset + target.end()))
        if name == "foreach":
            head = _FOREACH_HEAD.match(inner)
            if head is None:
                raise self.source.error("expected '#foreach($item in $list)'", at)
            items = self._expression(inner[head.end() :], offset + head.end())
            body, _closer, _condition = self._block(_END_ONLY, "foreach", at)
            return _ForeachNode(head.group(1), items, tuple(body))
        branches: list[tuple[object | None, tuple[object, ...]]] = []
        condition: object | None = self._expression(inner, offset)
        closers = _IF_CLOSERS
        while True:
            body, closer, following = self._block(closers, "if", at)
            branches.append((condition, tuple(body)))
            if closer == "end":
                return _IfNode(tuple(branches))
            if closer == "else":
                condition, closers = None, _END_ONLY
            else:
                condition = following

    def _gobble(self, buffer: list[str], start: int, end: int) -> None:
        """Continue after a directive; one alone on its line takes its indentation and line break along."""
        text = self.text
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        line_end = len(text) if line_end == -1 else line_end
        if text[line_start:start].strip() or text[end:line_end].strip():
            self.pos = end
            return
        indent = text[line_start:start]
        if indent:
            joined = "".join(buffer)
            if joined.endswith(indent):
                buffer[:] = [joined[: len(joined) - len(indent)]]
        self.pos = min(line_end + 1, len(text))


def _flush(buffer: list[str], nodes: list[object]) -> None:
    if buffer:
        text = "".join(buffer)
        if text:
            nodes.append(text)
        buffer.clear()


# -- rendering ----------------------------------------------------------------------------------
def _render_nodes(nodes: list[object] | tuple[object, ...], scope: Scope) -> str:
    budget = render_budget.active()
    out: list[str] = []
    size = 0
    for node in nodes:
        budget.step()
        if out:
            size += len(out[-1])
            if size > budget.limits.max_chars:
                raise render_budget.TemplateLimitError(
                    f"the rendered text grew past {budget.limits.max_chars} characters"
                )
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, Reference):
            out.append(_render_reference(node, scope))
        elif isinstance(node, _SetNode):
            scope.locals[node.name] = budget.sized(evaluate(node.value, scope))
        elif isinstance(node, _IfNode):
            for condition, body in node.branches:
                if condition is None or truthy(evaluate(condition, scope)):
                    out.append(_render_nodes(body, scope))
                    break
        elif isinstance(node, _ForeachNode):
            out.append(_render_foreach(node, scope))
    return "".join(out)


def _render_reference(reference: Reference, scope: Scope) -> str:
    value, applied = resolve(reference, scope)
    if value is None:
        return "" if reference.quiet else reference.text
    if applied < len(reference.members):
        if reference.braced:
            return "" if reference.quiet else reference.text
        tail_start = reference.members[applied].start - reference.start
        return stringify(value) + reference.text[tail_start:]
    return stringify(value)


def _render_foreach(node: _ForeachNode, scope: Scope) -> str:
    items = evaluate(node.items, scope)
    if isinstance(items, dict):
        items = list(items.values())
    elif isinstance(items, str):
        items = [items]
    if not isinstance(items, list):
        return ""
    items = items[:_MAX_LOOP_ITEMS]
    saved = {key: scope.locals[key] for key in (node.name, "foreach", "velocityCount") if key in scope.locals}
    out: list[str] = []
    total = len(items)
    budget = render_budget.active()
    size = 0
    for index, item in enumerate(items):
        budget.loop_turn()
        scope.locals[node.name] = item
        scope.locals["foreach"] = {
            "index": index,
            "count": index + 1,
            "hasNext": index + 1 < total,
            "first": index == 0,
            "last": index + 1 == total,
        }
        scope.locals["velocityCount"] = index + 1
        out.append(_render_nodes(node.body, scope))
        size += len(out[-1])
        if size > budget.limits.max_chars:
            raise render_budget.TemplateLimitError(
                f"a #foreach made more than {budget.limits.max_chars} characters"
            )
    for key in (node.name, "foreach", "velocityCount"):
        scope.locals.pop(key, None)
    scope.locals.update(saved)
    return "".join(out)
