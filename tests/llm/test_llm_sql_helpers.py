"""The helper SQL functions registered next to a deployed model (pure Spark SQL, no model call)."""

from __future__ import annotations

import json

import pytest
from llm_support import ChatModel

pytestmark = pytest.mark.slow


def one(chat_model: ChatModel, expression: str) -> object:
    return chat_model.run(f"select {expression} as v as out;")[0]["v"]


def test_llm_param_builds_one_json_request(chat_model: ChatModel) -> None:
    value = one(chat_model, """llm_param(map("instruction", "hi", "temperature", "0.1"))""")
    assert isinstance(value, list) and len(value) == 1
    assert json.loads(value[0]) == {"instruction": "hi", "temperature": "0.1"}


def test_llm_prompt_fills_numbered_placeholders(chat_model: ChatModel) -> None:
    assert one(chat_model, "llm_prompt('Translate {0} into {1}; {0}!', array('cat', 'French'))") == (
        "Translate cat into French; cat!"
    )
    # A value that looks like a placeholder stays as it is; a missing argument keeps its placeholder.
    assert one(chat_model, "llm_prompt('{0} and {1} and {2}', array('{1}', 'b'))") == "{1} and b and {2}"


def test_llm_prompt_nests_inside_llm_param(chat_model: ChatModel) -> None:
    value = one(chat_model, "llm_param(map('instruction', llm_prompt('Q: {0}', array('x'))))")
    assert isinstance(value, list)
    assert json.loads(value[0]) == {"instruction": "Q: x"}


def test_llm_response_predict_and_llm_result(chat_model: ChatModel) -> None:
    ok = """array('{"output": "Paris", "metadata": {}}')"""
    failed = """array('{"error": "too long"}')"""
    assert one(chat_model, f"llm_response_predict({ok})") == "Paris"
    assert one(chat_model, f"llm_result({ok})") == "Paris"
    assert one(chat_model, f"llm_response_predict({failed})") is None
    assert one(chat_model, "llm_response_predict(cast(null as array<string>))") is None


def test_llm_stack_appends_history_and_keeps_the_system_message(chat_model: ChatModel) -> None:
    previous = json.dumps(
        {
            "output": "Paris.",
            "input": {"instruction": "Capital of France?", "system_msg": "Be brief."},
            "history": [
                {"role": "user", "content": "Capital of France?"},
                {"role": "assistant", "content": "Paris."},
            ],
        }
    ).replace("'", "\\'")
    value = one(chat_model, f"llm_stack(array('{previous}'), llm_param(map('instruction', 'And Germany?')))")
    assert isinstance(value, list)
    request = json.loads(value[0])
    assert request["instruction"] == "And Germany?"
    assert request["system_msg"] == "Be brief."
    assert [m["content"] for m in request["history"]] == ["Capital of France?", "Paris."]
