"""Retrieval QA end to end: an embedding function (the packaged model), an index built by LLMQABuilder in
Spark, and a QA function that retrieves from it and answers with the shared ``chat`` model."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from llm_support import ChatModel

from byzer_engine.lang.errors import ByzerRuntimeError
from byzer_engine.llm.qa.builder import split_text

pytestmark = pytest.mark.slow

OWNER = "llm_qa_tests"
EMB = "qa_emb"
QA = "qa_docs"
DOCS = {
    "eiffel": "The Eiffel Tower is a wrought-iron lattice tower in Paris, France, completed in 1889 for the World Fair.",
    "photosynthesis": "Photosynthesis is the process by which green plants use sunlight, water and carbon dioxide "
    "to make glucose and oxygen.",
    "python": "The Python programming language was created by Guido van Rossum and first released in 1991.",
    "everest": "Mount Everest, in the Himalayas on the border of Nepal and China, is the highest mountain on "
    "Earth at 8,849 metres.",
    "bees": "Honey bees live in colonies with a queen, drones and worker bees, and they make honey from flower "
    "nectar.",
    "reef": "The Great Barrier Reef off the coast of Queensland, Australia, is the largest coral reef system in "
    "the world.",
    "sourdough": "Sourdough bread is leavened with a starter of wild yeast and lactic acid bacteria instead of "
    "baker yeast.",
    "violin": "The violin is a string instrument played with a bow. It has four strings tuned in perfect fifths.",
}
DOCS_TABLE = (
    "select * from values "
    + ", ".join(f"('{source}', '{text}')" for source, text in DOCS.items())
    + " as t(source, page_content) as docs;"
)
BUILD = f"""{DOCS_TABLE}
run command as LLMQABuilder.`` where inputTable="docs" and outputTable="qa_index" and embeddingFunc="{EMB}"
  and chunkSize="600" and chunkOverlap="0";
"""
DEPLOY_QA = f"""run command as LLM.`` where action="infer" and pretrainedModelType="qa" and udfName="{QA}"
  and embeddingFunc="{EMB}" and chatFunc="chat" and modelTable="qa_index";"""


@pytest.fixture(scope="module")
def qa(chat_model: ChatModel) -> Iterator[ChatModel]:
    """The embedding function and the QA function, deployed in this module's own owner session."""
    runner = ChatModel(chat_model.engine, owner=OWNER)
    deployed = runner.run(
        f"""!byzerllm setup single;
run command as LLM.`` where action="infer" and udfName="{EMB}" and pretrainedModelType="custom/bge";"""
    )
    assert deployed[0]["backend"] == "embedding"
    try:
        yield runner
    finally:
        runner.run(f"!byzerllm model remove {QA};")
        runner.run(f"!byzerllm model remove {EMB};")


@pytest.fixture(scope="module")
def index(qa: ChatModel) -> list[dict[str, Any]]:
    return qa.run(BUILD)


@pytest.fixture(scope="module")
def qa_deployed(qa: ChatModel, index: list[dict[str, Any]]) -> dict[str, Any]:
    rows = qa.run(DEPLOY_QA)
    return rows[0]


def ask(qa: ChatModel, questions: list[str], **fields: str) -> list[dict[str, Any]]:
    extra = "".join(f', "{k}", "{v}"' for k, v in fields.items())
    values = ", ".join(f"({i}, '{q}')" for i, q in enumerate(questions))
    rows = qa.run(
        f"""select * from values {values} as t(id, q) as questions;
select id, {QA}(llm_param(map("instruction", q{extra}))) as r from questions as asked;
select id, r[0] as raw from asked order by id as out;"""
    )
    return [json.loads(row["raw"]) for row in rows]


def test_the_index_has_one_embedded_chunk_per_short_document(index: list[dict[str, Any]]) -> None:
    assert sorted(row["source"] for row in index) == sorted(DOCS)
    assert {row["chunk_id"] for row in index} == {0}
    assert all(row["content"] == DOCS[row["source"]] for row in index)
    widths = {len(row["embedding"]) for row in index}
    assert len(widths) == 1 and widths.pop() > 100
    assert all(math.isclose(math.hypot(*row["embedding"]), 1.0, rel_tol=1e-4) for row in index)


def test_the_index_is_a_view_of_the_session(qa: ChatModel, index: list[dict[str, Any]]) -> None:
    (row,) = qa.run("select count(*) as n, first(typeof(embedding)) as kind from qa_index as out;")
    assert row == {"n": len(DOCS), "kind": "array<double>"}


def test_small_chunks_are_cut_in_spark_as_split_text_cuts_them(
    qa: ChatModel, index: list[dict[str, Any]]
) -> None:
    rows = qa.run(
        f"""{DOCS_TABLE}
run command as LLMQABuilder.`` where inputTable="docs" and outputTable="small_index" and embeddingFunc="{EMB}"
  and chunkSize="60" and chunkOverlap="15";
select source, chunk_id, content, size(embedding) as dim from small_index order by source, chunk_id as out;"""
    )
    expected = [(s, i, c) for s, text in sorted(DOCS.items()) for i, c in enumerate(split_text(text, 60, 15))]
    assert [(r["source"], r["chunk_id"], r["content"]) for r in rows] == expected
    assert len(rows) > len(DOCS)
    assert {r["dim"] for r in rows} == {len(index[0]["embedding"])}


def test_show_only_context_returns_the_relevant_document_first(
    qa: ChatModel, qa_deployed: dict[str, Any]
) -> None:
    assert qa_deployed["backend"] == "qa" and qa_deployed["status"] == "deployed"
    questions = {
        "everest": "How tall is Mount Everest, the highest mountain?",
        "python": "Who created the Python programming language?",
        "sourdough": "How is sourdough bread leavened?",
    }
    responses = ask(qa, list(questions.values()), hint="show_only_context", k="3")
    for expected, response in zip(questions, responses, strict=True):
        hits = response["output"]
        assert len(hits) == 3
        assert hits[0]["source"] == expected, hits
        assert hits[0]["content"] == DOCS[expected]
        scores = [h["score"] for h in hits]
        assert scores == sorted(scores, reverse=True) and scores[0] <= 1.0 + 1e-6


def test_k_defaults_to_four(qa: ChatModel, qa_deployed: dict[str, Any]) -> None:
    (response,) = ask(qa, ["What do worker bees make from nectar?"], hint="show_only_context")
    assert len(response["output"]) == 4


def test_a_question_is_answered_from_the_retrieved_context(
    qa: ChatModel, qa_deployed: dict[str, Any]
) -> None:
    (response,) = ask(qa, ["Who created the Python programming language?"], max_length="32")
    assert "error" not in response, response
    assert isinstance(response["output"], str) and response["output"].strip()
    assert response["metadata"]["contexts"][0]["source"] == "python"
    assert response["metadata"]["output_tokens"] > 0
    assert response["history"][0] == {
        "role": "user",
        "content": "Who created the Python programming language?",
    }


def test_a_bad_request_gets_an_error_row_and_the_others_answer(
    qa: ChatModel, qa_deployed: dict[str, Any]
) -> None:
    rows = qa.run(
        f"""select 1 as id, '{{"instruction": "How tall is Mount Everest?", "max_length": "24"}}' as req
union all select 2, '{{"instruction": "How tall is Mount Everest?", "k": "many"}}'
union all select 3, '{{"k": "2"}}' as requests;
select id, {QA}(array(req)) as r from requests as asked;
select id, llm_response_predict(r) as answer, r[0] as raw from asked order by id as out;"""
    )
    assert [r["id"] for r in rows] == [1, 2, 3]
    assert rows[0]["answer"] and "error" not in json.loads(rows[0]["raw"])
    assert rows[1]["answer"] is None and "'k'" in json.loads(rows[1]["raw"])["error"]
    assert rows[2]["answer"] is None and "instruction" in json.loads(rows[2]["raw"])["error"]


def test_redeploying_the_same_index_keeps_the_pool(qa: ChatModel, qa_deployed: dict[str, Any]) -> None:
    again = qa.run(DEPLOY_QA)
    assert again[0]["status"] == "reused"
    folder = Path(qa.engine.home_of(OWNER), ".byzer", "qa_index", QA)
    (exported,) = list(folder.iterdir())
    assert (exported / "_SUCCESS").is_file() and list(exported.glob("*.parquet"))


def test_a_missing_index_table_is_reported(qa: ChatModel, qa_deployed: dict[str, Any]) -> None:
    with pytest.raises(ByzerRuntimeError, match="LLMQABuilder"):
        qa.run(
            DEPLOY_QA.replace('modelTable="qa_index"', 'modelTable="no_such_index"').replace(QA, "qa_missing")
        )


def test_building_with_an_undeployed_function_is_reported(qa: ChatModel) -> None:
    with pytest.raises(ByzerRuntimeError, match="not_deployed"):
        qa.run(BUILD.replace(EMB, "not_deployed"))
