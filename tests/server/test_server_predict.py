"""``POST /model/predict`` with plain SQL functions (the model-function case is in test_server_llm)."""

from __future__ import annotations

import json

import httpx


def predict(http: httpx.Client, **fields: str) -> httpx.Response:
    return http.post("/model/predict", data=fields)


def test_string_data_becomes_a_feature_column(http: httpx.Client) -> None:
    data = json.dumps(["hello", "world", {"instruction": "hi"}])
    response = predict(http, dataType="string", data=data, sql="select upper(feature) as value", owner="pia")
    assert response.status_code == 200, response.text
    assert response.json() == [{"value": "HELLO"}, {"value": "WORLD"}, {"value": '{"INSTRUCTION": "HI"}'}]


def test_row_data_keeps_its_columns(http: httpx.Client) -> None:
    data = json.dumps([{"a": 1, "b": "x"}, {"a": 2, "b": "y"}])
    response = predict(http, dataType="row", data=data, sql="select a + 1 as a1, concat(b, '!') as b1")
    assert response.status_code == 200, response.text
    assert response.json() == [{"a1": 2, "b1": "x!"}, {"a1": 3, "b1": "y!"}]


def test_predict_uses_the_owners_session_and_context(http: httpx.Client) -> None:
    http.post("/run/script", data={"sql": "select 10 as base as predict_base;", "owner": "quinn"})
    response = predict(
        http,
        dataType="row",
        data='[{"a": 1}]',
        sql="select a + (select max(base) from predict_base) as total, '${tag}' as tag",
        owner="quinn",
        **{"context.tag": "t1"},
    )
    assert response.status_code == 200, response.text
    assert response.json() == [{"total": 11, "tag": "t1"}]


def test_empty_data_answers_no_rows(http: httpx.Client) -> None:
    response = predict(http, dataType="string", data="[]", sql="select feature")
    assert response.status_code == 200 and response.json() == []


def test_bad_predict_requests_are_400s(http: httpx.Client) -> None:
    for fields, fragment in [
        ({"dataType": "vector", "data": "[[1.0]]", "sql": "select feature"}, "vector"),
        ({"dataType": "string", "data": "[oops", "sql": "select feature"}, "JSON"),
        ({"dataType": "row", "data": "[1, 2]", "sql": "select feature"}, "data[0]"),
        ({"dataType": "string", "data": "[]"}, "sql"),
        ({"dataType": "string", "data": '["a"]', "sql": "select no_such_column"}, "no_such_column"),
    ]:
        response = predict(http, **fields)
        assert response.status_code == 400, (fields, response.text)
        assert fragment in response.json()["message"], (fields, response.json())
