"""The ctranslate2 backend behind a pool on Ray: deployed by a script, answering the capitals through
SQL with every row in its own place whatever the order of the table, and a table of more rows than
a call's chunks computed as one model batch when the pool's batch holds them."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from llm_support import ChatModel

from byzer_engine.runtime import Engine

pytestmark = pytest.mark.slow

CT2 = "ct2_chat"
OWNER = "ctranslate2_pool"
DEPLOY = f"""
!byzerllm setup single;
run command as LLM.`` where action="infer" and udfName="{CT2}" and infer_backend="ctranslate2"
  and backend.batch_size="4" and cache="false";
"""
CAPITALS = (
    ("France", "Paris"), ("Japan", "Tokyo"), ("Italy", "Rome"), ("Germany", "Berlin"),
    ("Spain", "Madrid"), ("Egypt", "Cairo"), ("Russia", "Moscow"), ("China", "Beijing"),
)  # fmt: skip


@pytest.fixture(scope="module")
def ct2(engine: Engine, ray_address: str) -> Iterator[ChatModel]:
    model = ChatModel(engine, name=CT2, owner=OWNER)
    rows = model.run(DEPLOY)
    assert rows[0]["backend"] == "ctranslate2"
    yield model
    model.run(f"!byzerllm model remove {CT2};")


def ask(model: ChatModel, rows: list[tuple[int, str]]) -> list[tuple[int, str]]:
    values = ", ".join(
        f"({i}, 'What is the capital of {country}? Answer with the city name only.')" for i, country in rows
    )
    answered = model.run(
        f"""select id, q from values {values} as t(id, q) as qs;
select /*+ COALESCE(1) */ id, llm_response_predict({CT2}(llm_param(map("instruction", q, "max_length", "16",
  "temperature", "0")))) as a from qs as out;"""
    )
    return [(row["id"], row["a"]) for row in answered]


def test_capitals_through_sql_in_any_row_order(ct2: ChatModel) -> None:
    rows = [(i, country) for i, (country, _) in enumerate(CAPITALS)]
    in_order = ask(ct2, rows)
    assert [i for i, _ in in_order] == list(range(len(CAPITALS)))
    right = sum(city in answer for (_, city), (_, answer) in zip(CAPITALS, in_order, strict=True))
    assert right >= 6, in_order
    shuffled = rows[:]
    random.Random(5).shuffle(shuffled)
    mixed = ask(ct2, shuffled)
    assert [i for i, _ in mixed] == [i for i, _ in shuffled]  # the rows come back as they were
    assert dict(mixed) == dict(in_order)


def test_a_structured_request_gets_an_error_naming_the_backends_that_serve_it(ct2: ChatModel) -> None:
    (row,) = ct2.run(
        f"""select {CT2}(llm_param(map("instruction", "Reply in JSON.", "response_format",
  '{{"type": "object"}}'))) as r as out;"""
    )
    assert "JSON schema" in str(row["r"]) and "llamacpp" in str(row["r"])


def test_a_table_the_pools_batch_holds_is_computed_as_one_batch(engine: Engine, ray_address: str) -> None:
    wide = ChatModel(engine, name="ct2_wide", owner=OWNER)
    wide.run(DEPLOY.replace(CT2, "ct2_wide").replace('batch_size="4"', 'batch_size="256"'))
    try:
        rows = 130  # a call's chunks are 32 requests: four of them, more than two in flight
        values = ", ".join(f"({i}, 'Say the number {i}.')" for i in range(rows))
        # One partition: one Spark task, so one UDF call sends every row (two tasks' calls may
        # reach the master in two batching windows).
        answered = wide.run(
            f"""select /*+ REPARTITION(1) */ id, q from values {values} as t(id, q) as qs;
select /*+ COALESCE(1) */ id, get_json_object(try_element_at(ct2_wide(llm_param(map("instruction", q,
  "max_length", "1", "temperature", "0"))), 1), '$.metadata.batch_size') as together from qs as out;"""
        )
    finally:
        wide.run("!byzerllm model remove ct2_wide;")
    assert [r["id"] for r in answered] == list(range(rows))
    assert {r["together"] for r in answered} == {str(rows)}
