"""The request models, error mapping and OpenAI mapping on their own (no server needed)."""

from __future__ import annotations

import json

import pytest

from byzer_engine.lang.errors import (
    ByzerAuthError,
    ByzerJobKilled,
    ByzerRuntimeError,
    ByzerSyntaxError,
    ByzerTimeout,
    Position,
)
from byzer_engine.server.errors import (
    BadRequest,
    EngineFault,
    Unauthorized,
    as_byzer_error,
    clean_message,
    error_body,
    json_text,
    status_for,
)
from byzer_engine.server.openai_compat import mapping
from byzer_engine.server.openai_compat.protocol import ChatCompletionRequest, CompletionRequest
from byzer_engine.server.params import parse
from byzer_engine.server.protocol import PredictRequest, RunScriptRequest
from byzer_engine.server.routes.predict import predict_rows, predict_script


def test_form_fields_take_byzer_names_and_defaults() -> None:
    req = parse(RunScriptRequest, {"sql": "select 1 as a as t;"})
    assert req.owner == "admin"
    assert req.job_type == "script"
    assert req.timeout == -1 and req.timeout_s is None
    assert req.session_per_user is True and req.session_per_request is False
    assert req.include_schema is False and req.fetch_type == "collect" and req.output_size == 5000
    assert req.execute_mode == "query" and req.run_async is False and req.skip_include is False
    assert req.context == {}


def test_form_strings_become_typed_values_and_context_fields_become_variables() -> None:
    form = {
        "sql": "select 1 as a as t;",
        "owner": "alice",
        "jobName": "j1",
        "timeout": "1500",
        "sessionPerRequest": "true",
        "includeSchema": "True",
        "fetchType": "take",
        "outputSize": "10",
        "async": "false",
        "skipInclude": "1",
        "defaultPathPrefix": "sub",
        "context.city": "Paris",
        "context.n": "3",
    }
    req = parse(RunScriptRequest, form)
    assert (req.owner, req.job_name, req.timeout_s) == ("alice", "j1", 1.5)
    assert req.session_per_request and req.include_schema and req.skip_include and not req.run_async
    assert (req.fetch_type, req.output_size, req.default_path_prefix) == ("take", 10, "sub")
    assert req.context == {"city": "Paris", "n": "3"}


def test_json_bodies_take_typed_values_and_a_context_object() -> None:
    body = {
        "sql": "x",
        "timeout": 2000,
        "includeSchema": True,
        "context": {"a": 1, "b": True},
        "context.c": "z",
    }
    req = parse(RunScriptRequest, body)
    assert req.timeout_s == 2.0 and req.include_schema
    assert req.context == {"a": "1", "b": "true", "c": "z"}


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("fetchType", "all", "fetchType"),
        ("executeMode", "dry-run", "executeMode"),
        ("timeout", "soon", "timeout"),
        ("outputSize", "-1", "outputSize"),
        ("owner", "../etc", "owner"),
        ("owner", "", "owner"),
        ("callback", "file:///etc/passwd", "callback"),
    ],
)
def test_bad_fields_are_400s_that_name_the_field(field: str, value: str, named: str) -> None:
    with pytest.raises(BadRequest) as info:
        parse(RunScriptRequest, {"sql": "select 1 as a as t;", field: value})
    assert named in info.value.message
    assert status_for(info.value) == 400


def test_missing_sql_is_a_bad_request() -> None:
    with pytest.raises(BadRequest, match="sql: required"):
        parse(RunScriptRequest, {"owner": "admin"})


def test_status_codes_follow_the_error_kind() -> None:
    pos = Position("<script>", 2, 5, "load x")
    assert status_for(ByzerSyntaxError("bad", pos)) == 400
    assert status_for(ByzerRuntimeError("failed", pos)) == 400
    assert status_for(ByzerTimeout("slow")) == 408
    assert status_for(ByzerJobKilled("killed")) == 499
    assert status_for(ByzerAuthError("no")) == 403
    assert status_for(Unauthorized("who")) == 401
    assert status_for(EngineFault("broken")) == 500


def test_unexpected_exceptions_become_engine_faults_without_traces() -> None:
    fault = as_byzer_error(KeyError("boom"))
    assert isinstance(fault, EngineFault) and status_for(fault) == 500
    assert "KeyError" in fault.message


def test_error_bodies_carry_position_and_drop_stack_traces() -> None:
    message = (
        "Table or view not found: t\n"
        "\tat org.apache.spark.sql.Foo.bar(Foo.scala:12)\n"
        "\t... 42 more\n"
        'Traceback (most recent call last):\n  File "x.py", line 1\n'
    )
    body = error_body(ByzerRuntimeError(message, Position("<script>", 3, 1, "select * from t as x")))
    assert body["message"] == "Table or view not found: t"
    assert (body["kind"], body["line"], body["column"]) == ("runtime error", 3, 1)
    assert body["line_text"] == "select * from t as x"
    assert clean_message("x" * 5000, 100).endswith(" ...")


def test_json_text_writes_non_finite_floats_as_spark_does() -> None:
    assert json.loads(json_text([{"a": float("nan"), "b": float("inf"), "c": 1.5}])) == [
        {"a": "NaN", "b": "Infinity", "c": 1.5}
    ]


def test_predict_string_rows_wrap_each_element_as_feature() -> None:
    lines = predict_rows("string", json.dumps(["hello", {"instruction": "hi"}]))
    assert [json.loads(line) for line in lines] == [
        {"feature": "hello"},
        {"feature": '{"instruction": "hi"}'},
    ]


def test_predict_row_rows_must_be_objects() -> None:
    assert [json.loads(x) for x in predict_rows("row", '[{"a": 1}]')] == [{"a": 1}]
    with pytest.raises(BadRequest, match=r"data\[0\]"):
        predict_rows("row", "[1]")
    with pytest.raises(BadRequest, match="JSON array"):
        predict_rows("string", '{"a": 1}')
    with pytest.raises(BadRequest, match="not valid JSON"):
        predict_rows("string", "[oops")


def test_predict_script_applies_the_select_list_to_the_rows() -> None:
    script = predict_script("SELECT upper(feature) AS value;")
    assert (
        script.splitlines()[-1]
        == "select upper(feature) AS value from __predict_input__ as __predict_output__;"
    )
    with pytest.raises(BadRequest):
        predict_script("select ")
    assert parse(PredictRequest, {"sql": "select 1"}).data_type == "string"


def test_chat_messages_map_to_instruction_history_and_system_message() -> None:
    req = ChatCompletionRequest.model_validate(
        {
            "model": "chat",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Hello!"},
                {"role": "user", "content": [{"type": "text", "text": "Capital of France?"}]},
            ],
            "max_tokens": 20,
            "temperature": 0.2,
            "stop": "\n",
        }
    )
    # The typed request the model gets, and its JSON form (echoed as the response's "input").
    request = mapping.chat_request(req)
    assert request.raw == {
        "instruction": "Capital of France?",
        "history": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}],
        "system_msg": "Be brief.",
        "max_length": 20,
        "temperature": 0.2,
        "stopping_sequences": ["\n"],
    }
    assert request.messages()[0] == {"role": "system", "content": "Be brief."}
    assert (request.sampling.max_new_tokens, request.sampling.temperature) == (20, 0.2)
    assert request.sampling.stop == ("\n",)


def test_chat_needs_a_final_user_message_and_n_of_one() -> None:
    only_system = ChatCompletionRequest.model_validate(
        {"model": "m", "messages": [{"role": "system", "content": "x"}]}
    )
    with pytest.raises(mapping.UnsupportedRequest):
        mapping.chat_request(only_system)
    two = ChatCompletionRequest.model_validate(
        {"model": "m", "n": 2, "messages": [{"role": "user", "content": "x"}]}
    )
    with pytest.raises(mapping.UnsupportedRequest, match="n=1"):
        mapping.chat_request(two)


def test_engine_answers_map_to_openai_objects_with_usage() -> None:
    req = ChatCompletionRequest.model_validate(
        {"model": "chat", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}
    )
    answer = {"output": "Paris.", "metadata": {"input_tokens": 7, "output_tokens": 5}}
    completion = mapping.chat_completion(req, answer)
    assert completion.choices[0].message.content == "Paris."
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage is not None and completion.usage.total_tokens == 12

    text_req = CompletionRequest.model_validate({"model": "chat", "prompt": ["a", "b"], "echo": True})
    requests = mapping.completion_requests(text_req)
    assert [r.sampling.max_new_tokens for r in requests] == [16, 16]
    answers = [{"output": "1", "metadata": {}}, {"output": "2", "metadata": {}}]
    result = mapping.completion(text_req, ["a", "b"], answers)
    assert [c.text for c in result.choices] == ["a1", "b2"]
    assert [c.finish_reason for c in result.choices] == ["stop", "stop"]
