"""EXPLAIN of LLM calls: the counts it reports are the calls a run then makes, and it calls no model."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from llm_support import ChatModel

pytestmark = pytest.mark.slow


def _calls(rows: list[dict[str, Any]], function: str) -> list[dict[str, Any]]:
    return [r for r in rows if r["function"] == function]


def _questions(tag: str) -> str:
    # 12 rows, 5 distinct questions and one NULL: one partition, so one Arrow batch reaches the pool.
    values = [f"('Name a colour, case {i % 5} ({tag}).')" for i in range(11)] + ["(CAST(NULL AS STRING))"]
    return f"select * from values {', '.join(values)} as t(q) as qs_{tag};\n"


def test_explain_counts_the_distinct_requests_and_tokens_a_run_then_computes(chat_model: ChatModel) -> None:
    tag = uuid.uuid4().hex[:8]
    query = (
        f"select q, chat(llm_param(map('instruction', q, 'max_length', '4'))) as r "
        f"from qs_{tag} where q is not null as out_{tag};"
    )
    before = chat_model.stats()
    explained = chat_model.run(_questions(tag) + query, explain=True)
    assert chat_model.stats()["distinct_computed"] == before["distinct_computed"]
    assert chat_model.stats()["requests_served"] == before["requests_served"]  # no model call at all
    (call,) = _calls(explained, "chat")
    assert (call["model"], call["rows"], call["requests"]) == ("chat", 11, 11)
    assert (call["distinct_requests"], call["cached"], call["to_compute"]) == (5, 0, 5)
    statement = next(
        r for r in explained if r["function"] is None and r["kind"] == "select" and r["step"] == 2
    )
    assert "ArrowEvalPython" in statement["plan"] and statement["action"] == f"defines view out_{tag}"

    answered = chat_model.run(_questions(tag) + query)
    after = chat_model.stats()
    assert after["distinct_computed"] - before["distinct_computed"] == call["distinct_requests"]
    # The input tokens of each distinct request, as the model counted them when it computed it.
    tokens = {row["q"]: json.loads(row["r"][0])["metadata"]["input_tokens"] for row in answered}
    assert sum(tokens.values()) == call["input_tokens"]

    again = _calls(chat_model.run(_questions(tag) + query, explain=True), "chat")[0]
    assert (again["cached"], again["to_compute"], again["input_tokens"]) == (5, 0, 0)
    assert again["seconds"] == 0.0


def test_explain_sees_semantic_operators_in_where_and_chained_calls(chat_model: ChatModel) -> None:
    tag = uuid.uuid4().hex[:8]
    script = _questions(tag) + (
        f"select q from qs_{tag} where llm_filter('chat', 'Is this about a colour? {{0}}', q) as kept;\n"
        f"select chat(llm_stack(chat(llm_param(map('instruction', q))), llm_param(map('instruction', 'Why?'))))"
        f" as r from qs_{tag} as chained;"
    )
    before = chat_model.stats()["requests_served"]
    rows = chat_model.run(script, explain=True)
    assert chat_model.stats()["requests_served"] == before
    (kept,) = _calls(rows, "llm_filter")
    assert kept["model"] == "chat" and kept["rows"] == 12 and kept["distinct_requests"] == 5
    outer, inner = sorted(_calls(rows, "chat"), key=lambda r: r["distinct_requests"] is None)[::-1]
    assert "its input comes from chat" in outer["note"] and outer["distinct_requests"] is None
    assert inner["distinct_requests"] == 5


def test_explain_statement_and_macro_forms(chat_model: ChatModel) -> None:
    tag = uuid.uuid4().hex[:8]
    setup = _questions(tag)
    one = chat_model.run(setup + f"explain select chat(llm_param(map('instruction', q))) as r from qs_{tag};")
    assert [r["function"] for r in one] == [None, "chat"] and one[1]["distinct_requests"] == 5
    macro = chat_model.run(
        setup
        + f"select chat(llm_param(map('instruction', q))) as r from qs_{tag} as answers_{tag};\n"
        + f"!explain answers_{tag};"
    )
    assert _calls(macro, "chat")[0]["rows"] == 12
    # ``!explain;`` explains what follows: the save below is not run, and the explain is the result.
    rest = chat_model.run(
        setup
        + "!explain;\n"
        + f"select chat(llm_param(map('instruction', q))) as r from qs_{tag} as answers;\n"
        + f"save overwrite answers as json.`explain_{tag}`;"
    )
    assert [r["kind"] for r in rest if r["function"] is None] == ["select", "save"]
    assert len(_calls(rest, "chat")) == 2  # the select's view, and the table the save would write
    listing = chat_model.run("!fs -ls /;")
    assert not any(f"explain_{tag}" in json.dumps(r) for r in listing)
