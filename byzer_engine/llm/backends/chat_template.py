"""A model's own chat template (Jinja text, e.g. from a GGUF file's ``tokenizer.chat_template``) rendered
the way transformers' ``apply_chat_template`` renders it, so both backends build the same prompt."""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any


class TemplateError(ValueError):
    """The template raised (``raise_exception``) or failed on these messages."""


def _raise(message: str) -> None:
    raise TemplateError(message)


def _tojson(value: Any, ensure_ascii: bool = False, indent: int | None = None, **_: Any) -> str:
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent)


@lru_cache(maxsize=8)
def _compiled(template: str) -> Any:
    from jinja2.ext import loopcontrols
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = _tojson
    env.globals["raise_exception"] = _raise
    env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
    return env.from_string(template)


def render_chat(template: str, messages: list[dict[str, str]], bos_token: str, eos_token: str) -> str:
    """The prompt text for ``messages``, ending where the assistant's answer goes."""
    try:
        text: str = _compiled(template).render(
            messages=messages, add_generation_prompt=True, bos_token=bos_token, eos_token=eos_token
        )
    except TemplateError:
        raise
    except Exception as exc:
        raise TemplateError(f"the model's chat template failed: {exc}") from None
    return text


def plain_transcript(messages: list[dict[str, str]]) -> str:
    """The prompt of a base model without a chat template (as ``base.chat_prompt`` builds it)."""
    return "\n".join([*(f"{m['role']}: {m['content']}" for m in messages), "assistant:"])
