"""Structured output without a model: schemas from Spark types, the checks of answers, the requests
each backend builds, and the rewrite that types ``llm_extract``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest

from byzer_engine.llm.backends import BackendConfig
from byzer_engine.llm.backends.openai_backend import OpenAIBackend
from byzer_engine.llm.backends.vllm_backend import structured_output_kwargs
from byzer_engine.llm.requests import RequestError, chat_response, parse_request
from byzer_engine.llm.semantic import rewrite_typed_calls
from byzer_engine.llm.structured import (
    FormatError,
    check_output,
    ddl_to_schema,
    parse_response_format,
    schema_to_ddl,
)

INT = {"type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1}
PERSON = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "age": INT,
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["name", "age", "tags"],
    "additionalProperties": False,
}


@pytest.mark.parametrize(
    "ddl",
    [
        "struct<name:string,age:int,tags:array<string>>",
        "STRUCT<name: STRING, age: INT, tags: ARRAY<STRING>>",
        "name string, age int not null, tags array<string>",
        "`name` string, `age` int, `tags` array<string>",
    ],
)
def test_a_spark_type_is_a_schema_with_every_field_required(ddl: str) -> None:
    assert ddl_to_schema(ddl) == PERSON


@pytest.mark.parametrize(
    ("ddl", "schema"),
    [
        ("double", {"type": "number"}),
        ("decimal(10,2)", {"type": "number"}),
        ("boolean", {"type": "boolean"}),
        (
            "array<bigint>",
            {"type": "array", "items": {"type": "integer", "minimum": -(2**63), "maximum": 2**63 - 1}},
        ),
        ("map<string,double>", {"type": "object", "additionalProperties": {"type": "number"}}),
    ],
)
def test_other_spark_types(ddl: str, schema: dict[str, Any]) -> None:
    assert ddl_to_schema(ddl) == schema


@pytest.mark.parametrize("ddl", ["struct<name:strin>", "struct<name:string", "map<int,string>", "struct<>"])
def test_a_bad_spark_type_is_refused(ddl: str) -> None:
    with pytest.raises(FormatError, match="bad type"):
        ddl_to_schema(ddl)


def test_a_schema_reads_as_a_spark_type_in_its_field_order() -> None:
    assert schema_to_ddl(PERSON) == "struct<`name`:string,`age`:bigint,`tags`:array<string>>"
    assert schema_to_ddl({"enum": ["a", "b"]}) == "string"


def test_response_format_forms() -> None:
    assert parse_response_format(json.dumps(PERSON)) == PERSON
    wrapped = {"type": "json_schema", "json_schema": {"name": "p", "schema": PERSON}}
    assert parse_response_format(wrapped) == PERSON
    assert parse_response_format({"type": "json_object"}) == {"type": "object"}
    with pytest.raises(FormatError, match="not a valid JSON schema"):
        parse_response_format({"type": "nonsense"})


def test_an_answer_is_checked_against_its_schema() -> None:
    assert check_output('{"name":"Ann","age":3,"tags":[]}', PERSON) == {"name": "Ann", "age": 3, "tags": []}
    with pytest.raises(FormatError, match="at age"):
        check_output('{"name":"Ann","age":"three","tags":[]}', PERSON)
    with pytest.raises(FormatError, match="not valid JSON"):
        check_output('{"name":"Ann"', PERSON)


def test_a_request_carries_its_schema_and_a_bad_one_is_a_request_error() -> None:
    request = parse_request({"instruction": "x", "response_format": "struct<name:string>"})
    assert request.schema is not None and request.schema["required"] == ["name"]
    plain = parse_request({"instruction": "x"})
    assert plain.schema is None and plain.sampling != request.sampling
    with pytest.raises(RequestError, match="response_format"):
        parse_request({"instruction": "x", "response_format": "struct<"})


def test_an_answer_of_the_wrong_shape_becomes_the_rows_error() -> None:
    request = parse_request({"instruction": "x", "response_format": json.dumps(PERSON)})
    good = chat_response(request, '{"name":"Ann","age":3,"tags":["a"]}', {})
    assert good["output"] == '{"name":"Ann","age":3,"tags":["a"]}'
    bad = chat_response(request, '{"name":"Ann","age":3.5,"tags":[]}', {"output_tokens": 9})
    assert "output" not in bad and "does not follow the schema" in bad["error"]
    assert bad["metadata"]["output_tokens"] == 9


@dataclass
class _Params:
    json: Any


def test_vllm_decodes_under_the_schema_with_structured_outputs_or_guided_decoding() -> None:
    # vLLM cannot run here (no GPU): stand-ins of its two parameter classes, by their release names.
    current = structured_output_kwargs(PERSON, SimpleNamespace(StructuredOutputsParams=_Params))
    assert current == {"structured_outputs": _Params(json=PERSON)}
    older = structured_output_kwargs(PERSON, SimpleNamespace(GuidedDecodingParams=_Params))
    assert older == {"guided_decoding": _Params(json=PERSON)}
    with pytest.raises(RequestError, match="no guided decoding"):
        structured_output_kwargs(PERSON, SimpleNamespace())


def test_an_openai_request_asks_for_the_json_schema() -> None:
    backend = OpenAIBackend(
        BackendConfig(backend="saas/openai", model_type="saas/openai", saas={"model": "m"})
    )
    try:
        body = backend.chat_body(
            parse_request({"instruction": "x", "response_format": "struct<name:string>"})
        )
        assert body["response_format"] == {
            "type": "json_schema",
            "json_schema": {
                "name": "response",
                "schema": ddl_to_schema("struct<name:string>"),
                "strict": True,
            },
        }
        assert "response_format" not in backend.chat_body(parse_request({"instruction": "x"}))
    finally:
        backend.close()


def test_llm_extract_calls_are_read_as_their_type() -> None:
    sql = "select llm_extract('chat', t, 'struct<name:string,age:int>') as p from t where x = 'llm_extract('"
    assert rewrite_typed_calls(sql) == (
        "select from_json(llm_extract('chat', t, 'struct<name:string,age:int>'), "
        "'struct<name:string,age:int>') as p from t where x = 'llm_extract('"
    )
    schema = json.dumps({"type": "object", "properties": {"a": {"type": "integer"}}})
    assert rewrite_typed_calls(f"select LLM_EXTRACT('chat', t, '{schema}').a") == (
        f"select from_json(LLM_EXTRACT('chat', t, '{schema}'), 'struct<`a`:bigint>').a"
    )
    untouched = "select llm_extract('chat', t, type_col) from t"
    assert rewrite_typed_calls(untouched) == untouched
