"""Request parsing and response shapes (no model needed)."""

from __future__ import annotations

import json
import re

import pytest

from byzer_engine.llm.requests import (
    DEFAULT_MAX_NEW_TOKENS,
    LLMRequest,
    Message,
    RequestError,
    chat_response,
    decode_request,
    make_request,
    parse_request,
    request_key,
    truncate_at_stop,
)


def test_string_values_from_llm_param_are_typed() -> None:
    request = parse_request(
        {"instruction": "hi", "max_length": "12", "temperature": "0.5", "top_p": "0.9", "top_k": "5"}
    )
    assert request.sampling.max_new_tokens == 12
    assert request.sampling.temperature == 0.5
    assert request.sampling.top_p == 0.9
    assert request.sampling.top_k == 5
    assert not request.sampling.greedy


def test_defaults_are_greedy_with_the_default_length() -> None:
    request = parse_request({"instruction": "hi"})
    assert request.sampling.greedy
    assert request.sampling.max_new_tokens == DEFAULT_MAX_NEW_TOKENS
    assert request.messages() == [{"role": "user", "content": "hi"}]


def test_history_and_system_message_build_the_conversation() -> None:
    history = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]
    for value in (history, json.dumps(history)):
        request = parse_request({"instruction": "c", "history": value, "system_msg": "be brief"})
        assert [m["role"] for m in request.messages()] == ["system", "user", "assistant", "user"]
        assert request.messages()[-1]["content"] == "c"


def test_pair_form_history_is_accepted() -> None:
    request = parse_request({"instruction": "c", "history": [{"user": "a", "assistant": "b"}]})
    assert [m.to_dict() for m in request.history] == [
        {"role": "user", "content": "a"},
        {"role": "assistant", "content": "b"},
    ]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({}, "no 'instruction'"),
        ({"instruction": "x", "max_length": "many"}, "'max_length' must be a number"),
        ({"instruction": "x", "max_length": "0"}, "'max_length' must be at least 1"),
        ({"instruction": "x", "history": "not json"}, "'history' must be a JSON list"),
        ({"instruction": "x", "history": [1]}, "is not a {role, content} message"),
    ],
)
def test_bad_requests_name_the_field(raw: dict[str, object], message: str) -> None:
    with pytest.raises(RequestError, match=re.escape(message)):
        parse_request(raw)


def test_stopping_sequences_as_list_or_comma_string() -> None:
    assert parse_request({"instruction": "x", "stopping_sequences": "a,b"}).sampling.stop == ("a", "b")
    assert parse_request({"instruction": "x", "stopping_sequences": '["a,b"]'}).sampling.stop == ("a,b",)
    assert parse_request({"instruction": "x", "stopping_sequences": ["\n"]}).sampling.stop == ("\n",)


def test_generation_keys_pass_through_typed() -> None:
    request = parse_request(
        {"instruction": "x", "generation.repetition_penalty": "1.2", "generation.x": "abc"}
    )
    assert dict(request.sampling.extra) == {"repetition_penalty": 1.2, "x": "abc"}


def test_plain_text_element_is_an_instruction() -> None:
    assert decode_request("What is 2+2?") == {"instruction": "What is 2+2?"}
    assert decode_request('{"instruction": "q"}') == {"instruction": "q"}
    assert decode_request("[1, 2]") == {"instruction": "[1, 2]"}


def test_request_key_ignores_key_order() -> None:
    assert request_key({"a": "1", "b": "2"}) == request_key({"b": "2", "a": "1"})
    assert request_key({"a": "1"}) != request_key({"a": "2"})


def test_chat_response_carries_the_whole_conversation() -> None:
    request = parse_request({"instruction": "q2", "history": [{"role": "user", "content": "q1"}]})
    response = chat_response(request, "a2", {"input_tokens": 3, "output_tokens": 1})
    assert response["output"] == "a2"
    assert response["input"] == request.raw
    assert response["history"][-2:] == [
        {"role": "user", "content": "q2"},
        {"role": "assistant", "content": "a2"},
    ]


def test_truncate_at_the_first_stop_sequence() -> None:
    assert truncate_at_stop("one, two. three", (".", ",")) == ("one", True)
    assert truncate_at_stop("no stop", ("#",)) == ("no stop", False)


def test_a_bad_request_is_answered_where_it_enters_without_calling_the_pool(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import pandas as pd

    from byzer_engine.llm import udf
    from byzer_engine.llm.pool import client

    def no_pool(*args: object, **kwargs: object) -> list[dict[str, object]]:
        raise AssertionError("the pool was called for requests that were all bad")

    monkeypatch.setattr(client, "submit", no_pool)
    target = udf.UdfTarget(name="nowhere", ray_address="127.0.0.1:1")
    cells = pd.Series([['{"max_length": 3}', '{"instruction": "x", "temperature": "hot"}'], None])
    answered = udf.answer_batch(target, cells)
    first = [json.loads(a) for a in answered[0]]
    assert first[0]["error"] == "request has no 'instruction'"
    assert "'temperature' must be a number" in first[1]["error"]
    assert answered[1] is None


def test_the_pool_gets_typed_requests_and_the_bad_ones_keep_their_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import pandas as pd

    from byzer_engine.llm import udf
    from byzer_engine.llm.pool import client
    from byzer_engine.runtime import ray_connect

    seen: list[LLMRequest] = []

    # The pool's two halves stand in for a deployed model: this checks what the UDF body sends.
    def submit(name: str, requests: list[LLMRequest]) -> list[LLMRequest]:
        seen.extend(requests)
        return requests

    def wait(name: str, sent: list[LLMRequest], **kwargs: object) -> list[dict[str, object]]:
        return [{"output": r.instruction.upper(), "input": r.raw, "metadata": {}} for r in sent]

    monkeypatch.setattr(client, "submit", submit)
    monkeypatch.setattr(client, "wait", wait)
    monkeypatch.setattr(ray_connect, "ensure_ray", lambda address=None: "127.0.0.1:1")
    target = udf.UdfTarget(name="upper", ray_address="127.0.0.1:1")
    answered = udf.answer_batch(
        target, pd.Series([["a", '{"no": 1}', '{"instruction": "b", "max_length": "4"}']])
    )
    outputs = [json.loads(a).get("output", "ERR") for a in answered[0]]
    assert outputs == ["A", "ERR", "B"]
    assert [r.sampling.max_new_tokens for r in seen] == [DEFAULT_MAX_NEW_TOKENS, 4]


def test_typed_and_json_requests_are_the_same_request() -> None:
    typed = make_request("hi", history=(Message("user", "a"), Message("assistant", "b")), max_new_tokens=8)
    parsed = parse_request(
        {
            "instruction": "hi",
            "history": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}],
            "max_length": 8,
        }
    )
    assert typed.key == parsed.key
    assert typed.sampling == parsed.sampling and typed.messages() == parsed.messages()
    with pytest.raises(RequestError, match="at least 1"):
        make_request("hi", max_new_tokens=0)
