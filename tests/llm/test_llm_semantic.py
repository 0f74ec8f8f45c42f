"""Structured output and the semantic operators in SQL, on the deployed packaged model."""

from __future__ import annotations

import json

import pytest
from llm_support import ChatModel

pytestmark = pytest.mark.slow

PERSON = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 20},
        "age": {"type": "integer", "minimum": 0, "maximum": 150},
        "hobbies": {"type": "array", "items": {"type": "string", "maxLength": 16}, "maxItems": 3},
    },
    "required": ["name", "age", "hobbies"],
    "additionalProperties": False,
}
NAMES = ["Ann", "Bo", "Cy", "Di", "Ed", "Flo", "Gus", "Hal", "Ivy", "Jo"]
HOBBIES = ["chess", "tea", "golf", "music", "hiking"]


def test_a_json_schema_gives_every_row_a_typed_struct(chat_model: ChatModel) -> None:
    people = ", ".join(f"('{NAMES[i % 10]}', {18 + i}, '{HOBBIES[i % 5]}')" for i in range(50))
    rows = chat_model.run(
        f"""
select * from values {people} as t(name, age, hobby) as people;
select name, age, from_json(llm_response_predict(chat(llm_param(map(
    "instruction", llm_prompt('Describe {{0}}, aged {{1}}, who likes {{2}}, as JSON.', array(name, cast(age as string), hobby)),
    "response_format", '{json.dumps(PERSON)}', "max_length", "48")))),
  'struct<name:string,age:int,hobbies:array<string>>') as p from people as described;
"""
    )
    assert len(rows) == 50
    for row in rows:
        person = row["p"]
        assert person is not None, row
        assert isinstance(person["name"], str) and len(person["name"]) <= 20
        assert isinstance(person["age"], int) and 0 <= person["age"] <= 150
        assert isinstance(person["hobbies"], list) and all(isinstance(h, str) for h in person["hobbies"])


def test_an_answer_cut_short_is_null_with_an_error(chat_model: ChatModel) -> None:
    (row,) = chat_model.run(
        f"""
select chat(llm_param(map("instruction", "Describe Ann as JSON.", "response_format", '{json.dumps(PERSON)}',
  "max_length", "3"))) as r as t;
select llm_response_predict(r) as answer, get_json_object(r[0], '$.error') as error from t as out;
"""
    )
    assert row["answer"] is None
    assert "not valid JSON" in row["error"]


def test_llm_extract_gives_a_struct_of_the_type(chat_model: ChatModel) -> None:
    rows = chat_model.run(
        """
select * from values ('Maria is 34 years old and lives in Lisbon.'), ('Tom, aged 9, lives in Leeds.') as t(text) as notes;
select llm_extract('chat', text, 'struct<name:string,age:int>') as p from notes as out;
"""
    )
    assert len(rows) == 2
    for row in rows:
        assert isinstance(row["p"]["name"], str) and isinstance(row["p"]["age"], int)


def test_llm_classify_returns_only_the_given_labels(chat_model: ChatModel) -> None:
    labels = ("positive", "negative", "neutral")
    rows = chat_model.run(
        """
select * from values ('I love this phone, it is wonderful.'), ('This was a terrible, awful day.'),
  ('The meeting is at noon.'), ('Great food and lovely staff!'), ('The train was late again, I hate it.'),
  (cast(null as string)) as t(text) as reviews;
select text, llm_classify('chat', text, array('positive', 'negative', 'neutral')) as label from reviews as out;
"""
    )
    assert len(rows) == 6
    for row in rows:
        if row["text"] is None:
            assert row["label"] is None
        else:
            assert row["label"] in labels


def test_llm_filter_in_where_and_in_a_join(chat_model: ChatModel) -> None:
    script = """
select * from values ('apple'), ('banana'), ('hammer'), ('cherry'), ('car') as t(item) as items;
select * from values ('Paris', 'France'), ('Tokyo', 'Japan'), ('Rome', 'Italy') as t(city, country) as cities;
select * from values ('France'), ('Japan'), ('Italy') as t(country) as countries;
"""
    judged = chat_model.run(
        script + "select item, llm_filter('chat', 'Is this a fruit?', item) as fruit from items as out;"
    )
    assert all(isinstance(r["fruit"], bool) for r in judged)
    kept = chat_model.run(
        script + "select item from items where llm_filter('chat', 'Is this a fruit?', item) as out;"
    )
    assert sorted(r["item"] for r in kept) == sorted(r["item"] for r in judged if r["fruit"])
    pairs = chat_model.run(
        script
        + """select c.city, k.country from cities c join countries k
  on llm_filter('chat', 'Is the city in the country?', c.city, k.country) as out;"""
    )
    matrix = chat_model.run(
        script
        + """select c.city, k.country, llm_filter('chat', 'Is the city in the country?', c.city, k.country) as ok
  from cities c cross join countries k as out;"""
    )
    assert len(matrix) == 9 and all(isinstance(r["ok"], bool) for r in matrix)
    expected = sorted((r["city"], r["country"]) for r in matrix if r["ok"])
    assert sorted((r["city"], r["country"]) for r in pairs) == expected


def test_llm_summarize_gives_text(chat_model: ChatModel) -> None:
    (row,) = chat_model.run(
        """select llm_summarize('chat', 'The quick brown fox jumps over the lazy dog. The dog sleeps on.') as s as out;"""
    )
    assert isinstance(row["s"], str) and row["s"]


def test_llm_similarity_is_the_cosine_of_the_embeddings(chat_model: ChatModel) -> None:
    rows = chat_model.run(
        """select llm_similarity('chat', 'a red apple', 'a red apple') as same,
  llm_similarity('chat', 'a red apple', 'the stock market fell today') as other as out;"""
    )
    (row,) = rows
    assert row["same"] == pytest.approx(1.0, abs=1e-4)
    assert -1.0 <= row["other"] < row["same"]


def test_llm_agg_reduces_a_group_larger_than_the_context(chat_model: ChatModel) -> None:
    script = """
select if(id < 180, 'big', 'small') as grp,
  concat('Order ', cast(1000 + id as string), ' was shipped to ', element_at(array('Paris', 'Rome', 'Oslo'), cast(id % 3 + 1 as int)), ' on day ', cast(id % 28 + 1 as string), '.') as note
from range(183) as orders;
"""
    # The whole big group in one request is more than the model's context.
    (whole,) = chat_model.run(
        script
        + """select get_json_object(chat(llm_param(map("instruction", concat_ws('\\n', collect_list(note)),
  "max_length", "1")))[0], '$.error') as error from orders where grp = 'big' as t;"""
    )
    assert "more than the model's context" in whole["error"]
    before = chat_model.stats()["requests_served"]
    rows = chat_model.run(
        script
        + "select grp, llm_agg('chat', 'Which cities were orders shipped to? Answer with the city names only.', note) as answer from orders group by grp as out;"
    )
    served = chat_model.stats()["requests_served"] - before
    answers = {r["grp"]: r["answer"] for r in rows}
    assert set(answers) == {"big", "small"}
    assert all(isinstance(a, str) and a for a in answers.values())
    assert served > 2  # the big group took several requests, and then their reduction
