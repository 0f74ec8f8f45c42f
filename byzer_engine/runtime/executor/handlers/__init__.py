"""Statement handlers: one module per statement kind, registered by statement class.

A handler is ``handler(state, statement) -> Outcome``. Adding a statement kind is one module here
plus its name in ``HANDLER_MODULES``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar

from byzer_engine.lang.statements import Statement

Handler = Callable[[Any, Any], Any]
HANDLERS: dict[type[Statement], Handler] = {}

HANDLER_MODULES: tuple[str, ...] = (
    "load",
    "select",
    "save",
    "set_var",
    "connect",
    "run_et",
    "register",
    "raw_sql",
    "include",
    "explain",
)

F = TypeVar("F", bound=Handler)


def handles(statement_class: type[Statement]) -> Callable[[F], F]:
    def decorate(handler: F) -> F:
        HANDLERS[statement_class] = handler
        return handler

    return decorate


def load_handlers() -> None:
    for name in HANDLER_MODULES:
        importlib.import_module(f"{__name__}.{name}")


def handler_for(statement: Statement) -> Handler | None:
    return HANDLERS.get(type(statement))
