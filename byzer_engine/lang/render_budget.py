"""Bounds on template rendering: a wall-clock budget, size caps, and the job's cancellation.

``${}`` and Velocity (``#set``, ``#foreach``, string methods, regexes) are a small language: a short
template can ask for a very long loop, an exponentially growing string or a catastrophic regex.
Every ``render`` call runs under the budget in effect (``using(budget)`` sets one for the code it
wraps, e.g. one script of a job): rendering stops with a ``ByzerError`` naming the bound when it
runs past ``seconds``, makes a value longer than ``max_chars``, or iterates ``#foreach`` bodies more
than ``max_iterations`` times in total; regexes run with the ``regex`` package's timeout set to what
is left of the budget. ``check`` is called now and then (the runtime passes one that raises when the
job was killed or timed out), so ``/killjob`` and ``timeout`` stop a template too.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import regex

from byzer_engine.lang.errors import ByzerError


class TemplateLimitError(ByzerError):
    """A template ran past one of its bounds."""

    kind = "template limit"


@dataclass(frozen=True)
class RenderLimits:
    seconds: float = 5.0
    max_chars: int = 5_000_000
    max_iterations: int = 1_000_000


# Checks of the clock and of ``check`` happen every this many steps (a step is a node or a loop turn).
_CHECK_EVERY = 256


@dataclass
class RenderBudget:
    """One rendering's budget (``RenderLimits`` plus the clock it started on)."""

    limits: RenderLimits = field(default_factory=RenderLimits)
    check: Callable[[], None] = field(default=lambda: None)
    deadline: float = 0.0
    iterations: int = 0
    steps: int = 0

    def start(self) -> RenderBudget:
        return RenderBudget(self.limits, self.check, time.monotonic() + self.limits.seconds)

    def step(self) -> None:
        self.steps += 1
        if self.steps % _CHECK_EVERY == 0:
            self.check_now()

    def check_now(self) -> None:
        # Let other threads (other owners' scripts, the server's event loop) have the interpreter:
        # a long template must not hold the GIL for whole switch intervals at a time.
        time.sleep(0)
        self.check()
        if time.monotonic() > self.deadline:
            raise TemplateLimitError(f"template rendering ran past its budget of {self.limits.seconds:g}s")

    def loop_turn(self) -> None:
        self.iterations += 1
        if self.iterations > self.limits.max_iterations:
            raise TemplateLimitError(
                f"template loops ran more than {self.limits.max_iterations} iterations in all"
            )
        self.step()

    def sized(self, value: Any) -> Any:
        """``value``, unless it is a string longer than ``max_chars``."""
        if isinstance(value, str) and len(value) > self.limits.max_chars:
            raise TemplateLimitError(f"a template value grew past {self.limits.max_chars} characters")
        return value

    def regex_timeout(self) -> float:
        self.check_now()
        return max(self.deadline - time.monotonic(), 0.001)


_UNBOUNDED = RenderBudget(RenderLimits(seconds=3600.0, max_chars=1 << 31, max_iterations=1 << 40))
_CURRENT: contextvars.ContextVar[RenderBudget | None] = contextvars.ContextVar(
    "byzer_render_budget", default=None
)
_ACTIVE: contextvars.ContextVar[RenderBudget | None] = contextvars.ContextVar(
    "byzer_active_render", default=None
)


@contextmanager
def using(budget: RenderBudget) -> Iterator[None]:
    """Every ``render`` inside runs under ``budget``'s limits (each call with its own clock)."""
    token = _CURRENT.set(budget)
    try:
        yield
    finally:
        _CURRENT.reset(token)


@contextmanager
def rendering() -> Iterator[RenderBudget]:
    """The budget of one outer ``render`` call (nested calls share it)."""
    active = _ACTIVE.get()
    if active is not None:
        yield active
        return
    configured = _CURRENT.get()
    budget = (configured or RenderBudget(RenderLimits())).start()
    token = _ACTIVE.set(budget)
    try:
        yield budget
    finally:
        _ACTIVE.reset(token)


def active() -> RenderBudget:
    """The budget of the rendering in progress (a generous one outside any)."""
    return _ACTIVE.get() or _UNBOUNDED


def regex_sub(pattern: str, replacement: str, text: str) -> str:
    budget = active()
    try:
        result: str = regex.sub(pattern, replacement, text, timeout=budget.regex_timeout())
    except TimeoutError:
        raise TemplateLimitError("a regular expression in the template ran past the budget") from None
    return str(budget.sized(result))


def regex_split(pattern: str, text: str) -> list[str]:
    budget = active()
    try:
        parts: list[str] = regex.split(pattern, text, timeout=budget.regex_timeout())
    except TimeoutError:
        raise TemplateLimitError("a regular expression in the template ran past the budget") from None
    return parts


def regex_error() -> type[Exception]:
    return regex.error  # type: ignore[no-any-return]
