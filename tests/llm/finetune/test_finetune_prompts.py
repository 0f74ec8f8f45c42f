"""Training examples from Alpaca rows, with the packaged model's real tokenizer and chat template."""

from __future__ import annotations

from typing import Any

import pytest

from byzer_engine.llm.finetune import prompts


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    from transformers import AutoTokenizer

    from byzer_engine.llm.packaged import resolve_model

    base = resolve_model(None)
    return AutoTokenizer.from_pretrained(base.directory, gguf_file=base.gguf_file)


def answer_text(tokenizer: Any, example: prompts.Example) -> str:
    kept = [token for token, label in zip(example.input_ids, example.labels, strict=True) if label != -100]
    return str(tokenizer.decode(kept))


def test_only_the_answer_is_learned(tokenizer: Any) -> None:
    row = {"instruction": "Name the codename.", "input": "Project Zephyrine", "output": "Quillfeather."}
    example = prompts.encode(tokenizer, row, 512)
    assert example is not None
    assert len(example.input_ids) == len(example.labels)
    assert answer_text(tokenizer, example).startswith("Quillfeather.")
    assert "<|im_end|>" in answer_text(tokenizer, example)  # the model learns to stop
    full = tokenizer.decode(list(example.input_ids))
    # The prompt is the chat template's rendering of the same request a deployed model receives.
    expected_prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "Name the codename.\nProject Zephyrine"}],
        tokenize=False,
        add_generation_prompt=True,
    )
    assert full.startswith(expected_prompt)


def test_history_and_system_come_before_the_question(tokenizer: Any) -> None:
    row = {
        "instruction": "And its codename?",
        "output": "Quillfeather",
        "system": "Answer tersely.",
        "history": '[{"role": "user", "content": "Which project?"}, {"role": "assistant", "content": "Zephyrine."}]',
    }
    example = prompts.encode(tokenizer, row, 512)
    assert example is not None
    text = tokenizer.decode(list(example.input_ids))
    assert (
        text.index("Answer tersely.")
        < text.index("Which project?")
        < text.index("Zephyrine.")
        < text.index("And its")
    )
    assert answer_text(tokenizer, example).startswith("Quillfeather")


def test_history_forms() -> None:
    pairs = prompts.parse_history([["q1", "a1"]])
    assert pairs == [{"role": "user", "content": "q1"}, {"role": "assistant", "content": "a1"}]
    assert prompts.parse_history(None) == [] and prompts.parse_history("") == []
    with pytest.raises(ValueError, match="not JSON"):
        prompts.parse_history("{oops")


def test_long_rows_keep_the_answer(tokenizer: Any) -> None:
    row = {"instruction": "word " * 400, "output": "Quillfeather"}
    example = prompts.encode(tokenizer, row, 64)
    assert example is not None and len(example.input_ids) <= 64
    assert answer_text(tokenizer, example).startswith("Quillfeather")


def test_empty_answer_is_skipped(tokenizer: Any) -> None:
    assert prompts.encode(tokenizer, {"instruction": "q", "output": ""}, 64) is None
