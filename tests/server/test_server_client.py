"""The Python client against the real server."""

from __future__ import annotations

import pytest

from byzer_engine.client import Byzer
from byzer_engine.lang.errors import (
    ByzerAuthError,
    ByzerError,
    ByzerRuntimeError,
    ByzerSyntaxError,
    ByzerTimeout,
)


def test_run_returns_rows_and_takes_variables_and_fields(client: Byzer) -> None:
    rows = client.run(
        'select "${who}" as who, id from range(10) as t;', variables={"who": "liz"}, outputSize=4
    )
    assert rows == [{"who": "liz", "id": i} for i in range(4)]
    assert client.run("select 1 as a as t;", job_name="client-named", owner="liz") == [{"a": 1}]


def test_to_pandas_keeps_columns_and_types(client: Byzer) -> None:
    frame = client.to_pandas("select id, cast(id as double) / 2 as half, 'x' as s from range(3) as t;")
    assert list(frame.columns) == ["id", "half", "s"]
    assert frame["half"].tolist() == [0.0, 0.5, 1.0]
    empty = client.to_pandas("select id, 'x' as s from range(0) as t;")
    assert list(empty.columns) == ["id", "s"] and len(empty) == 0


def test_analyze_returns_statements(client: Byzer) -> None:
    statements = client.analyze('set a="1";\nselect "${a}" as a as t;')
    assert [s["kind"] for s in statements] == ["set", "select"]


def test_syntax_errors_come_back_as_syntax_errors_with_position(client: Byzer) -> None:
    script = "select 1 as a as t;\nload csv.`x.csv` t;"
    with pytest.raises(ByzerSyntaxError) as info:
        client.run(script)
    error = info.value
    assert error.line == 2 and error.column is not None
    rendered = error.render()
    assert ":2:" in rendered and "load csv.`x.csv` t;" in rendered and "^" in rendered


def test_runtime_errors_and_timeouts_keep_their_classes(client: Byzer) -> None:
    with pytest.raises(ByzerRuntimeError) as info:
        client.run("select * from table_nobody_made as t;")
    assert info.value.line == 1 and info.value.kind == "runtime error"
    with pytest.raises(ByzerTimeout):
        client.run("select count(*) as c from range(0, 2000000000000, 1, 4000) as big;", timeout=1000)


def test_a_wrong_token_raises_an_auth_error(server_url: str) -> None:
    with Byzer(server_url, token="wrong") as stranger, pytest.raises(ByzerAuthError):
        stranger.run("select 1 as a as t;")
    with Byzer(server_url) as anonymous, pytest.raises(ByzerAuthError):
        anonymous.run("select 1 as a as t;")


def test_an_unreachable_server_is_a_clear_error() -> None:
    with Byzer("http://127.0.0.1:9", timeout_s=5) as nowhere, pytest.raises(ByzerError, match="cannot reach"):
        nowhere.run("select 1 as a as t;")


def test_jobs_sessions_and_readiness(client: Byzer) -> None:
    assert client.ready()
    assert isinstance(client.running_jobs(), dict)
    assert client.kill("no-such-job") is False
    client.run("select 1 as a as mona_view;", owner="mona")
    assert client.logout("mona") is True
    with pytest.raises(ByzerRuntimeError):
        client.run("select * from mona_view as t;", owner="mona")
