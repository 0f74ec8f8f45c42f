"""Alpaca rows (instruction, input, output, optional history/system) -> token ids and labels.

Prompts are rendered with the model's own chat template, exactly as a deployed model renders a
request (system message, history, then the user's instruction), so what the adapter learns is what
it is asked at inference. Only the answer counts in the loss: prompt tokens get label -100.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

IGNORE_INDEX = -100
# For models without a chat template: a plain turn format, the same for training and inference.
PLAIN_USER = "User: "
PLAIN_ASSISTANT = "Assistant: "


@dataclass(frozen=True)
class Example:
    input_ids: tuple[int, ...]
    labels: tuple[int, ...]


def user_message(instruction: str, extra_input: str | None) -> str:
    """Alpaca's instruction and optional input joined into one user turn."""
    instruction = instruction.strip()
    extra = (extra_input or "").strip()
    return f"{instruction}\n{extra}" if extra else instruction


def parse_history(value: Any) -> list[dict[str, str]]:
    """History as chat turns: a JSON string or list of {"role", "content"} dicts, or [question, answer] pairs."""
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return []
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            raise ValueError(f"history is not JSON: {text[:80]!r}") from None
    if not isinstance(value, Sequence):
        raise ValueError(f"history must be a list of turns, got {type(value).__name__}")
    turns: list[dict[str, str]] = []
    for item in value:
        if isinstance(item, Mapping):
            turns.append({"role": str(item["role"]), "content": str(item["content"])})
        elif isinstance(item, Sequence) and not isinstance(item, str) and len(item) == 2:
            turns.append({"role": "user", "content": str(item[0])})
            turns.append({"role": "assistant", "content": str(item[1])})
        else:
            raise ValueError(f"a history turn must be {{role, content}} or [question, answer], got {item!r}")
    return turns


def conversation(row: Mapping[str, Any]) -> list[dict[str, str]]:
    """The chat turns before the answer: optional system, history, then the user's turn."""
    messages: list[dict[str, str]] = []
    system = row.get("system")
    if system:
        messages.append({"role": "system", "content": str(system)})
    messages.extend(parse_history(row.get("history")))
    messages.append(
        {"role": "user", "content": user_message(str(row.get("instruction") or ""), row.get("input"))}
    )
    return messages


def prompt_and_answer(tokenizer: Any, row: Mapping[str, Any]) -> tuple[str, str]:
    """The prompt text (up to where the model starts answering) and the answer text to learn."""
    messages = conversation(row)
    answer = str(row.get("output") or "")
    if getattr(tokenizer, "chat_template", None):
        prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        full = tokenizer.apply_chat_template(
            [*messages, {"role": "assistant", "content": answer}], tokenize=False
        )
        if full.startswith(prompt):
            return prompt, full[len(prompt) :]
        # Templates that rewrite earlier turns once an answer follows: learn the bare answer + EOS.
        return prompt, answer + (tokenizer.eos_token or "")
    lines = []
    for message in messages:
        prefix = PLAIN_ASSISTANT if message["role"] == "assistant" else PLAIN_USER
        if message["role"] == "system":
            prefix = ""
        lines.append(f"{prefix}{message['content']}\n")
    return "".join(lines) + PLAIN_ASSISTANT, answer + (tokenizer.eos_token or "")


def encode(tokenizer: Any, row: Mapping[str, Any], max_seq_length: int) -> Example | None:
    """Token ids with prompt positions masked; None for a row without an answer, or when none of it fits."""
    if not str(row.get("output") or "").strip():
        return None
    prompt, answer = prompt_and_answer(tokenizer, row)
    prompt_ids = list(tokenizer(prompt, add_special_tokens=False)["input_ids"])
    answer_ids = list(tokenizer(answer, add_special_tokens=False)["input_ids"])
    if not answer_ids:
        return None
    if len(prompt_ids) + len(answer_ids) > max_seq_length:
        # Keep the end of the prompt (the question) and as much of the answer as fits.
        keep_prompt = min(len(prompt_ids), max(max_seq_length - len(answer_ids), max_seq_length // 2))
        prompt_ids = prompt_ids[len(prompt_ids) - keep_prompt :]
        answer_ids = answer_ids[: max_seq_length - len(prompt_ids)]
    if not answer_ids:
        return None
    return Example(
        input_ids=tuple(prompt_ids + answer_ids),
        labels=tuple([IGNORE_INDEX] * len(prompt_ids) + answer_ids),
    )
