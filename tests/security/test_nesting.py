"""Deeply nested SQL is refused before Spark's parser sees it: a short script of brackets can no
longer freeze the engine for every owner."""

from __future__ import annotations

import time

import httpx
from security_checks import run


def _assert_depth_error(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert "deeper than 64 levels" in body["message"], body
    assert isinstance(body["line"], int)
    assert "Traceback" not in response.text


def test_a_short_script_of_brackets_is_refused_quickly(http: httpx.Client, alive: None) -> None:
    started = time.monotonic()
    # Rendered at run time, so only the runtime check stands between it and Spark's parser.
    response = run(http, 'set x = "1";\nselect ' + "(" * 80 + "${x}" + ")" * 80 + " as a as t;")
    _assert_depth_error(response)
    assert "select failed" in response.json()["message"]
    conditions = run(http, "!if ''' " + "(" * 90 + " ''';\nselect 1 as a as t;\n!fi;")
    _assert_depth_error(conditions)
    assert time.monotonic() - started < 60


def test_nesting_within_the_limit_runs(http: httpx.Client) -> None:
    response = run(http, "select " + "(" * 30 + "1" + ")" * 30 + " as a as t;")
    assert response.status_code == 200, response.text
    assert response.json() == [{"a": 1}]
