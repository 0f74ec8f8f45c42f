"""``run command as LLM.`` where action="..."``: the table of actions and the module serving each.

Each handler is ``handler(ctx: ETContext, options: dict[str, str]) -> DataFrame | None``. Handlers are
imported on first use, so deploying a model never imports the fine-tuning stack and vice versa.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from byzer_engine.lang.errors import ByzerError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from byzer_engine.runtime.ets.base import ETContext

ActionHandler = Callable[["ETContext", dict[str, str]], "DataFrame | None"]

ACTIONS: dict[str, str] = {
    "infer": "byzer_engine.llm.deploy:infer",
    "finetune": "byzer_engine.llm.finetune.action:finetune",
    "merge": "byzer_engine.llm.finetune.action:merge",
}


def get_action(name: str) -> ActionHandler:
    target = ACTIONS.get(name)
    if target is None:
        known = ", ".join(sorted(ACTIONS))
        raise ByzerError(f"unknown LLM action '{name}'; known actions: {known}")
    module_name, func_name = target.split(":")
    handler: Any = getattr(importlib.import_module(module_name), func_name)
    return handler  # type: ignore[no-any-return]
