"""``POST /run/script`` end to end, with requests shaped the way Byzer's own clients send them."""

from __future__ import annotations

from pathlib import Path

import httpx


def run(http: httpx.Client, sql: str, **fields: str) -> httpx.Response:
    """A form-encoded request, as Byzer's notebook and console send it."""
    return http.post("/run/script", data={"sql": sql, **fields})


def test_form_fields_answer_the_last_table_as_rows(http: httpx.Client) -> None:
    response = run(http, "select 1 as a, 'x' as b as t;", owner="admin", jobName="form-basic")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == [{"a": 1, "b": "x"}]


def test_a_json_body_works_like_form_fields(http: httpx.Client) -> None:
    body = {"sql": "select ${n} + 1 as a as t;", "owner": "admin", "context": {"n": 41}}
    response = http.post("/run/script", json=body)
    assert response.status_code == 200, response.text
    assert response.json() == [{"a": 42}]


def test_context_fields_are_variables_of_the_script(http: httpx.Client) -> None:
    response = run(
        http, 'select "${city}" as city, "${OWNER}" as who as t;', owner="carol", **{"context.city": "Paris"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == [{"city": "Paris", "who": "carol"}]


def test_include_schema_wraps_rows_with_the_spark_schema(http: httpx.Client) -> None:
    response = run(http, "select 1 as a, 'x' as b as t;", includeSchema="true")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"] == [{"a": 1, "b": "x"}]
    assert body["schema"]["type"] == "struct"
    assert [(f["name"], f["type"]) for f in body["schema"]["fields"]] == [("a", "integer"), ("b", "string")]


def test_a_script_without_a_table_answers_an_empty_array(http: httpx.Client) -> None:
    response = run(http, 'set greeting="hello";')
    assert response.status_code == 200, response.text
    assert response.json() == []
    with_schema = run(http, 'set greeting="hello";', includeSchema="true").json()
    assert with_schema["data"] == [] and with_schema["schema"]["fields"] == []


def test_output_size_caps_rows_with_either_fetch_type(http: httpx.Client) -> None:
    sql = "select id from range(100) as t;"
    assert len(run(http, sql, outputSize="3").json()) == 3
    assert len(run(http, sql, outputSize="7", fetchType="take").json()) == 7
    assert len(run(http, sql).json()) == 100


def test_silence_runs_the_script_but_returns_no_table(http: httpx.Client) -> None:
    response = run(http, "select 1 as a as t;", silence="true")
    assert response.status_code == 200 and response.json() == []


def test_analyze_parses_without_running(http: httpx.Client) -> None:
    sql = "load csv.`never/read.csv` where header='true' as t;\nselect * from t as u;"
    response = run(http, sql, executeMode="analyze")
    assert response.status_code == 200, response.text
    statements = response.json()
    assert [s["kind"] for s in statements] == ["load", "select"]
    assert statements[1]["line"] == 2


def test_explain_answers_the_plan_and_writes_nothing(http: httpx.Client, data_root: Path) -> None:
    sql = "select id from range(10) where id > 3 as t;\nsave overwrite t as json.`explained_by_http`;"
    response = run(http, sql, executeMode="explain", owner="explainer")
    assert response.status_code == 200, response.text
    rows = response.json()
    assert [r["kind"] for r in rows] == ["select", "save"]
    assert "Filter" in rows[0]["plan"] and "not run by explain" in rows[1]["action"]
    assert not (data_root / "explainer" / "explained_by_http").exists()


def test_syntax_errors_are_400s_with_line_and_column(http: httpx.Client) -> None:
    response = run(http, "select 1 as a as t;\nload csv.`x.csv` t;")
    assert response.status_code == 400
    body = response.json()
    assert body["kind"] == "syntax error"
    assert body["line"] == 2 and isinstance(body["column"], int) and body["column"] >= 1
    assert body["message"]
    assert "Traceback" not in response.text


def test_runtime_errors_name_the_failing_statement(http: httpx.Client) -> None:
    response = run(http, "select 1 as a as t;\nselect * from no_such_table_anywhere as u;")
    assert response.status_code == 400
    body = response.json()
    assert body["kind"] == "runtime error"
    assert body["line"] == 2
    assert "no_such_table_anywhere" in body["message"]
    assert "\tat " not in body["message"] and "Traceback" not in response.text


def test_bad_fields_are_json_400s(http: httpx.Client) -> None:
    for fields in ({"fetchType": "everything"}, {"timeout": "soon"}, {"executeMode": "dry-run"}):
        response = run(http, "select 1 as a as t;", **fields)
        assert response.status_code == 400, fields
        body = response.json()
        assert body["kind"] == "bad request" and next(iter(fields)) in body["message"]
    missing = http.post("/run/script", data={"owner": "admin"})
    assert missing.status_code == 400 and "sql" in missing.json()["message"]
    not_json = http.post("/run/script", content=b"{oops", headers={"content-type": "application/json"})
    assert not_json.status_code == 400 and not_json.json()["kind"] == "bad request"


def test_async_needs_a_callback(http: httpx.Client) -> None:
    response = run(http, "select 1 as a as t;", **{"async": "true"})
    assert response.status_code == 400
    assert "callback" in response.json()["message"]


def test_unknown_routes_answer_json(http: httpx.Client) -> None:
    response = http.get("/no/such/route")
    assert response.status_code == 404 and response.json()["kind"] == "not found"


def test_owners_have_their_own_views_and_session_variables(http: httpx.Client) -> None:
    assert run(http, "select 7 as a as alice_view;", owner="alice").status_code == 200
    assert run(http, 'set team="blue" where scope="session";', owner="alice").status_code == 200
    mine = run(http, 'select a, "${team}" as team from alice_view as t;', owner="alice")
    assert mine.status_code == 200, mine.text
    assert mine.json() == [{"a": 7, "team": "blue"}]
    theirs = run(http, "select * from alice_view as t;", owner="bob")
    assert theirs.status_code == 400 and theirs.json()["kind"] == "runtime error"


def test_session_per_request_leaves_nothing_behind(http: httpx.Client) -> None:
    first = run(http, "select 1 as a as once_view;", owner="dave", sessionPerRequest="true")
    assert first.status_code == 200 and first.json() == [{"a": 1}]
    later = run(http, "select * from once_view as t;", owner="dave")
    assert later.status_code == 400


def test_logout_drops_the_owners_session(http: httpx.Client) -> None:
    assert run(http, "select 1 as a as erin_view;", owner="erin").status_code == 200
    response = http.post("/user/logout", data={"owner": "erin"})
    assert response.status_code == 200 and response.json()["msg"] == "success"
    assert run(http, "select * from erin_view as t;", owner="erin").status_code == 400
    assert http.post("/user/logout", data={}).status_code == 400


def test_relative_paths_live_in_the_owners_home(http: httpx.Client, data_root: Path) -> None:
    save = "select 1 as a, 'x' as b as t;\nsave overwrite t as json.`exports/t1`;"
    assert run(http, save, owner="frank").status_code == 200
    assert any((data_root / "frank" / "exports" / "t1").glob("*.json"))
    loaded = run(http, "load json.`exports/t1` as t;\nselect a, b from t as u;", owner="frank")
    assert loaded.status_code == 200 and loaded.json() == [{"a": 1, "b": "x"}]


def test_default_path_prefix_applies_to_relative_paths(http: httpx.Client, data_root: Path) -> None:
    save = "select 2 as a as t;\nsave overwrite t as json.`t2`;"
    assert run(http, save, owner="frank", defaultPathPrefix="prefixed").status_code == 200
    assert any((data_root / "frank" / "prefixed" / "t2").glob("*.json"))


def test_skip_include_leaves_include_statements_out(http: httpx.Client) -> None:
    sql = "include local.`not/there.byzer`;\nselect 1 as a as t;"
    skipped = run(http, sql, skipInclude="true")
    assert skipped.status_code == 200, skipped.text
    assert skipped.json() == [{"a": 1}]
    failed = run(http, sql)
    assert failed.status_code == 400 and failed.json()["line"] == 1


def test_openapi_docs_are_served(http: httpx.Client) -> None:
    assert http.get("/docs").status_code == 200
    spec = http.get("/openapi.json").json()
    assert {"/run/script", "/runningjobs", "/killjob", "/model/predict", "/user/logout"} <= set(spec["paths"])
    body = spec["paths"]["/run/script"]["post"]["requestBody"]["content"]
    assert "application/x-www-form-urlencoded" in body and "application/json" in body
    assert "jobName" in body["application/json"]["schema"]["properties"]
