"""What every backend shares: the context check and the retry that isolates a failing prompt."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from byzer_engine.llm.backends.base import check_prompt_fits, generate_isolating_failures
from byzer_engine.llm.requests import LLMRequest, RequestError, parse_request


@dataclass(frozen=True)
class _Prompt:
    request: LLMRequest


def _prompts(*instructions: str) -> list[_Prompt]:
    return [_Prompt(parse_request({"instruction": text})) for text in instructions]


def test_a_failing_batch_is_retried_one_prompt_at_a_time() -> None:
    calls: list[int] = []

    def run(batch: list[_Prompt]) -> list[dict[str, Any]]:
        calls.append(len(batch))
        if any(p.request.instruction == "bad" for p in batch):
            raise ValueError("cannot generate")
        return [{"output": p.request.instruction.upper()} for p in batch]

    answers = generate_isolating_failures(_prompts("a", "bad", "c"), run)
    assert [a.get("output") for a in answers] == ["A", None, "C"]
    assert answers[1]["error"] == "generation failed: cannot generate"
    assert calls == [3, 1, 1, 1]


def test_a_batch_that_succeeds_runs_once() -> None:
    calls: list[int] = []

    def run(batch: list[_Prompt]) -> list[dict[str, Any]]:
        calls.append(len(batch))
        return [{"output": "ok"} for _ in batch]

    assert len(generate_isolating_failures(_prompts("a", "b"), run)) == 2
    assert calls == [2]


def test_a_prompt_must_leave_room_for_one_new_token() -> None:
    check_prompt_fits([1, 2, 3], context=4)
    with pytest.raises(RequestError, match="the prompt has 4 tokens, more than the model's context of 4"):
        check_prompt_fits([1, 2, 3, 4], context=4)


def test_generate_grouped_batches_by_settings_sorted_and_answers_in_place() -> None:
    from byzer_engine.llm.backends.base import TokenPrompt, generate_grouped
    from byzer_engine.llm.requests import RequestError, Sampling

    raws = [
        {"instruction": "ccc", "max_length": "4"},
        {"instruction": "a", "max_length": "8"},
        {"instruction": "bad"},
        {"instruction": "bb", "max_length": "4"},
        {"instruction": "skip"},
    ]
    requests = [parse_request(r) for r in raws]
    calls: list[tuple[int, list[str]]] = []

    def encode(index: int, request: Any) -> TokenPrompt | None:
        if request.instruction == "bad":
            raise RequestError("refused")
        return (
            None if request.instruction == "skip" else TokenPrompt(index, request, [len(request.instruction)])
        )

    def run(chunk: list[TokenPrompt], sampling: Sampling) -> list[dict[str, Any]]:
        calls.append((sampling.max_new_tokens, [p.request.instruction for p in chunk]))
        return [{"output": p.request.instruction.upper()} for p in chunk]

    responses = generate_grouped(requests, encode, run, 1, lambda p: p.ids)
    assert [r and r.get("output") for r in responses[:2]] == ["CCC", "A"]
    assert responses[2] is not None and responses[2]["error"] == "refused"
    assert responses[3] == {"output": "BB"} and responses[4] is None
    assert calls == [(4, ["bb"]), (4, ["ccc"]), (8, ["a"])]  # one setting per call, shortest first
