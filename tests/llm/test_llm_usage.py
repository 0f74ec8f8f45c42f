"""Usage accounting and limits end to end, on the deployed packaged model."""

from __future__ import annotations

import json

import pytest
from llm_support import ChatModel

from byzer_engine.lang.errors import ByzerRuntimeError

pytestmark = pytest.mark.slow

QUESTIONS = (
    "select * from values ('What is 2 plus 2?'), ('Name a colour.'), ('What is 2 plus 2?') as t(q) as qs;"
)
ASK = """chat(llm_param(map("instruction", q, "max_length", "8", "cache", "false")))"""


def test_usage_rows_match_the_responses_token_counts(chat_model: ChatModel) -> None:
    rows = chat_model.run(QUESTIONS + f"select q, {ASK} as r from qs as out;", job_name="usage-count")
    metas = [json.loads(row["r"][0])["metadata"] for row in rows]
    (usage,) = chat_model.run(
        "load _mlsql_.`llm_usage` as u; select * from u where job = 'usage-count' as mine;"
    )
    assert usage["owner"] == chat_model.owner and usage["model"] == chat_model.name
    assert usage["requests"] == 3
    assert usage["input_tokens"] == sum(m["input_tokens"] for m in metas) > 0
    assert usage["output_tokens"] == sum(m["output_tokens"] for m in metas) > 0
    assert usage["cache_hits"] == 0 and usage["latency_ms"] > 0


def test_a_request_limit_stops_the_query_with_the_error(chat_model: ChatModel) -> None:
    owner = "llm_limits"
    chat_model.run(
        f"""run command as LLM.`` where action="infer" and udfName="{chat_model.name}" and
  pretrainedModelType="custom/auto" and reconnect="true" and queryRequestLimit="2";""",
        owner=owner,
    )
    with pytest.raises(ByzerRuntimeError, match="LLM usage limit reached: queryRequestLimit=2"):
        chat_model.run(QUESTIONS + f"select /*+ COALESCE(1) */ q, {ASK} as r from qs as out;", owner=owner)
    mine = chat_model.run("load _mlsql_.`llm_usage` as u;", owner=owner)
    assert all(row["requests"] <= 2 for row in mine if row["owner"] == owner)
