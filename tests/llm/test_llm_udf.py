"""The deployed model as a SQL function, end to end: CSV -> Spark -> Arrow batches -> Ray pool -> rows."""

from __future__ import annotations

import json
from typing import Any

import pytest
from llm_support import QUESTIONS_CSV, ChatModel

from byzer_engine.lang.errors import ByzerRuntimeError

pytestmark = pytest.mark.slow

ASK = """chat(llm_param(map("instruction", llm_prompt('Answer briefly: {0}', array(question)), "max_length", "24")))"""
# The same request, past the result cache (for tests that count what the pool computes).
UNCACHED = ASK.replace('"max_length", "24"', '"max_length", "24", "cache", "false"')


@pytest.fixture(scope="module")
def answers(chat_model: ChatModel) -> list[dict[str, Any]]:
    return chat_model.run(
        f"""
load csv.`{QUESTIONS_CSV}` where header="true" as questions;
select id, question, reference, {ASK} as response from questions as answered;
select cast(id as int) as id, question, reference, llm_response_predict(response) as answer, response
from answered order by id as out;
"""
    )


def test_every_row_of_the_table_is_answered(answers: list[dict[str, Any]]) -> None:
    assert [row["id"] for row in answers] == list(range(1, 21))
    assert all(isinstance(row["answer"], str) and row["answer"].strip() for row in answers)


def test_fact_questions_get_the_right_answer(answers: list[dict[str, Any]]) -> None:
    by_id = {row["id"]: row for row in answers}
    for question_id in (1, 2, 3):
        assert by_id[question_id]["reference"] in by_id[question_id]["answer"], by_id[question_id]


def test_response_element_shape(answers: list[dict[str, Any]]) -> None:
    (element,) = answers[0]["response"]
    response = json.loads(element)
    assert response["output"] == answers[0]["answer"]
    assert response["input"]["instruction"] == "Answer briefly: What is the capital of France?"
    assert response["input"]["max_length"] == "24"
    assert response["metadata"]["input_tokens"] > 0 and response["metadata"]["output_tokens"] > 0
    assert response["history"][-1] == {"role": "assistant", "content": response["output"]}


def test_identical_requests_in_a_batch_are_computed_once(chat_model: ChatModel) -> None:
    before = chat_model.stats()
    rows = chat_model.run(
        f"""
select q from values ('What is the capital of France?'), ('What is 2 plus 2?'), ('Who wrote Romeo and Juliet?')
  as t(q) lateral view explode(sequence(1, 4)) copies as n as repeated;
select /*+ COALESCE(1) */ q, llm_response_predict({UNCACHED.replace("question", "q")}) as a from repeated as out;
"""
    )
    after = chat_model.stats()
    assert len(rows) == 12
    answers_by_question: dict[str, set[str]] = {}
    for row in rows:
        answers_by_question.setdefault(row["q"], set()).add(row["a"])
    assert all(len(a) == 1 for a in answers_by_question.values())
    assert after["requests_served"] - before["requests_served"] == 12
    assert after["distinct_computed"] - before["distinct_computed"] == 3


def test_a_bad_row_gets_an_error_and_the_others_answer(chat_model: ChatModel) -> None:
    rows = chat_model.run(
        f"""
select 1 as id, 'What is the capital of Japan?' as question
union all select 2, repeat('word ', 9000)
union all select 3, 'What is the capital of France?' as questions;
select id, {ASK} as response from questions as answered;
select id, llm_response_predict(response) as answer, response[0] as raw from answered order by id as out;
"""
    )
    assert [r["id"] for r in rows] == [1, 2, 3]
    assert "Tokyo" in rows[0]["answer"] and "Paris" in rows[2]["answer"]
    assert rows[1]["answer"] is None
    assert "context" in json.loads(rows[1]["raw"])["error"]


def test_fail_on_error_fails_the_query(chat_model: ChatModel) -> None:
    owner = "llm_strict"
    deployed = chat_model.run(
        f"""!byzerllm setup single;
!byzerllm setup "maxConcurrency=2";
run command as LLM.`` where action="infer" and udfName="{chat_model.name}" and failOnError="true"
  and backend.n_ctx="2048";""",
        owner=owner,
    )
    assert deployed[0]["status"] == "reused"  # same pool settings: the running pool serves this owner too
    with pytest.raises(ByzerRuntimeError, match="failOnError"):
        chat_model.run(
            f"select {ASK.replace('question', 'q')} as r from (select repeat('word ', 9000) as q) as out;",
            owner=owner,
        )


def test_llm_stack_carries_the_conversation(chat_model: ChatModel) -> None:
    rows = chat_model.run(
        """
select chat(llm_param(map("instruction", "What is the capital of France? Answer with the city name only.",
       "max_length", "24"))) as first as turn1;
select first, chat(llm_stack(first, llm_param(map("instruction", "And of Germany?", "max_length", "24")))) as second
from turn1 as turn2;
select llm_response_predict(first) as a1, llm_response_predict(second) as a2, second[0] as raw from turn2 as out;
"""
    )
    second = json.loads(rows[0]["raw"])
    assert [m["content"] for m in second["input"]["history"]][:1] == [
        "What is the capital of France? Answer with the city name only."
    ]
    assert "Paris" in rows[0]["a1"] and "Berlin" in rows[0]["a2"]
    assert len(second["history"]) == 4


def test_plain_text_elements_and_nulls(chat_model: ChatModel) -> None:
    rows = chat_model.run(
        """select llm_result(chat(array('What is 2 plus 2?'))) as a, chat(cast(null as array<string>)) as n as out;"""
    )
    assert "4" in rows[0]["a"]
    assert rows[0]["n"] is None
