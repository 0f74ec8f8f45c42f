"""Fuzz of ``POST /run/script`` on the real server: random and mutated scripts, owners and
parameters never get a 500, a traceback, or an answer later than the request's own timeout."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sec_server_fixtures import ALICE_TOKEN, Server

SEEDS = [
    "select 1 as x as t;",
    'set a = "1";\nselect ${a} as v as t;',
    "select id from range(0, 10) as r;\nselect sum(id) as s from r as out;",
    "load _mlsql_.`jobs` as j;\nselect count(*) as n from j as t;",
    "#set($x = \"a\")select '$x' as v as t;",
    "select 1 as a as t;\nsave overwrite t as parquet.`fuzz/out`;\nload parquet.`fuzz/out` as b;",
    "!kill nothing;",
    'connect jdbc where url="jdbc:sqlite:x" and password="p" as c;',
    "select * from owner_bob.t as t;",
    "include lib.`missing`;",
    "if 1 == 1:\nselect 1 as a as t;\nelse:\nselect 2 as a as t;\nfi;",
    "run command as ShowFunctionsExt.`` as f;",
]
PIECES = [
    "select",
    "load",
    "save",
    "set",
    "connect",
    "run",
    "train",
    "predict",
    "register",
    "include",
    "as",
    "where",
    "and",
    "overwrite",
    "append",
    "`",
    "'",
    '"',
    "'''",
    ";",
    "(",
    ")",
    "${",
    "}",
    "#set(",
    "#foreach(",
    "#end",
    "$",
    "[1..9]",
    "!",
    "--",
    "/*",
    "*/",
    "\n",
    " ",
    "t",
    "1",
    "parquet.",
    "_mlsql_.",
    "range(0, 5)",
    "from",
    "*",
    "owner_alice.",
    "global_temp.",
    "\x00",
    "é",
]

script_text = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(PIECES), max_size=40).map(" ".join),
    st.tuples(st.sampled_from(SEEDS), st.integers(0, 200), st.text(max_size=8)).map(
        lambda t: t[0][: t[1]] + t[2] + t[0][t[1] :]
    ),
    st.tuples(st.sampled_from(SEEDS), st.integers(0, 200), st.integers(0, 20)).map(
        lambda t: t[0][: t[1]] + t[0][t[1] + t[2] :]
    ),
)
owners = st.one_of(
    st.just("alice"), st.sampled_from(["bob", "", "..", "a/b", "al ice", "alice\n"]), st.text(max_size=12)
)
fields = st.fixed_dictionaries(
    {},
    optional={
        "timeout": st.sampled_from(["5000", "-1", "0", "abc", "99999999999999999999", "-7"]),
        "outputSize": st.sampled_from(["1", "0", "-1", "100000000", "x"]),
        "fetchType": st.sampled_from(["collect", "take", "bogus"]),
        "includeSchema": st.sampled_from(["true", "false", "maybe"]),
        "executeMode": st.sampled_from(["query", "analyze", "other"]),
        "sessionPerRequest": st.sampled_from(["true", "false"]),
        "async": st.sampled_from(["false", "true"]),
        "context.x": st.text(max_size=20),
    },
)

REQUEST_TIMEOUT_S = 5.0
SLACK_S = 60.0  # a busy shared CI box: the answer may come a while after the job stopped


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sql=script_text, owner=owners, extra=fields)
def test_run_script_never_answers_500(
    sec_server: Server, sql: str, owner: str, extra: dict[str, str]
) -> None:
    timeout = extra.get("timeout", "5000")
    extra = {**extra, "timeout": "5000" if timeout in {"-1", "0"} else timeout}
    with sec_server.client(ALICE_TOKEN, timeout=REQUEST_TIMEOUT_S + SLACK_S) as alice:
        started = time.monotonic()
        answer = alice.post("/run/script", data={"sql": sql, "owner": owner, **extra})
        took = time.monotonic() - started
    assert answer.status_code != 500, answer.text
    assert answer.status_code in {200, 400, 401, 403, 404, 408, 499}, (answer.status_code, answer.text)
    assert "Traceback" not in answer.text and "Py4J" not in answer.text
    assert took < REQUEST_TIMEOUT_S + SLACK_S
    if answer.status_code != 200:
        body = answer.json()
        assert body["kind"] and body["message"]
