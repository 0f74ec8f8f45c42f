"""The pure parts of retrieval QA: ``split_text`` (the chunking LLMQABuilder's Spark UDF runs on each
document), and the QA backend's prompt filling, index search and request fields."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from byzer_engine.lang.errors import ByzerError
from byzer_engine.llm.backends.qa import DEFAULT_K, Index, fill_prompt, parse_query
from byzer_engine.llm.qa.builder import split_text
from byzer_engine.llm.requests import RequestError, parse_request

WORDS = st.sampled_from(
    ["alpha", "beta", "gamma", "delta.", "epsilon!", "zeta?", "\n", "\n\n", "中文。", "x" * 40]
)
TEXTS = st.lists(WORDS, max_size=60).map(" ".join)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize(
    ("text", "size", "overlap", "expected"),
    [
        ("short text", 600, 0, ["short text"]),
        (
            "Para one is here.\n\nPara two is longer. It has two sentences.",
            30,
            0,
            ["Para one is here.", "Para two is longer.", "It has two sentences."],
        ),
        ("one two three four five six", 10, 0, ["one two", "three four", "five six"]),
        ("one two three four five six", 10, 5, ["one two", "two three", "four five", "five six"]),
        ("x" * 25, 10, 0, ["x" * 10, "x" * 10, "x" * 5]),
        ("x" * 25, 10, 3, ["x" * 10, "x" * 10, "x" * 10, "x" * 4]),
        ("第一句。第二句！第三句？", 5, 0, ["第一句。", "第二句！", "第三句？"]),
        ("line one\nline two\nline three", 18, 0, ["line one\nline two", "line three"]),
    ],
)
def test_cases(text: str, size: int, overlap: int, expected: list[str]) -> None:
    assert split_text(text, size, overlap) == expected


@pytest.mark.parametrize("text", [None, "", "   \n\n  "])
def test_blank_text_has_no_chunks(text: str | None) -> None:
    assert split_text(text, 10) == []


@pytest.mark.parametrize(("size", "overlap"), [(0, 0), (10, -1), (10, 10), (10, 11)])
def test_bad_sizes_are_refused(size: int, overlap: int) -> None:
    with pytest.raises(ByzerError, match="chunk"):
        split_text("some text", size, overlap)


@given(TEXTS, st.integers(min_value=1, max_value=120))
def test_without_overlap_the_chunks_are_the_text_in_order(text: str, size: int) -> None:
    chunks = split_text(text, size)
    assert all(0 < len(c) <= size for c in chunks)
    assert all(c == c.strip() for c in chunks)
    assert "".join(squeeze(c) for c in chunks) == squeeze(text)


@given(TEXTS, st.integers(min_value=2, max_value=120), st.data())
def test_with_overlap_every_chunk_fits_and_the_text_is_covered(
    text: str, size: int, data: st.DataObject
) -> None:
    overlap = data.draw(st.integers(min_value=0, max_value=size - 1))
    chunks = split_text(text, size, overlap)
    assert all(0 < len(c) <= size for c in chunks)
    assert all(c in text for c in chunks)
    covered = set().union(*(set(squeeze(c)) for c in chunks)) if chunks else set()
    assert covered == set(squeeze(text))
    position = 0
    for chunk in chunks:
        position = text.find(chunk, position)
        assert position >= 0, "the chunks must follow the text's order"


# -- the QA backend's pure parts ----------------------------------------------------------------------
def test_fill_prompt_fills_each_placeholder_once() -> None:
    filled = fill_prompt("C: {context} | Q: {query} | again {query}", "about {query}", "why?")
    assert filled == "C: about {query} | Q: why? | again why?"


def test_index_search_ranks_by_cosine_and_caps_k() -> None:
    import numpy as np

    index = Index(
        ["a", "b", "c"],
        [0, 0, 1],
        ["first", "second", "third"],
        np.array([[1, 0], [0, 3], [1, 1]], dtype=float),
    )
    hits = index.search([0.0, 2.0], 2)
    assert [(h.source, h.content) for h in hits] == [("b", "second"), ("c", "third")]
    assert hits[0].score == pytest.approx(1.0) and hits[1].score == pytest.approx(2**-0.5)
    assert len(index.search([1.0, 0.0], 10)) == 3
    with pytest.raises(RequestError, match="dimensions"):
        index.search([1.0, 0.0, 0.0], 1)


def test_index_document_joins_a_source_in_chunk_order() -> None:
    import numpy as np

    index = Index(["d", "e", "d"], [1, 0, 0], ["second part", "other", "first part"], np.eye(3))
    assert index.document("d") == "first part\nsecond part"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"k": "many"}, "'k' must be a whole number"),
        ({"k": "0"}, "'k' must be at least 1"),
        ({"strategy": "best"}, "'strategy' must be one of"),
        ({"hint": "explain"}, "'hint' must be"),
        ({"instruction": "  "}, "empty"),
    ],
)
def test_bad_qa_fields_are_request_errors(fields: dict[str, str], message: str) -> None:
    request = parse_request({"instruction": "What is it?", **fields})
    with pytest.raises(RequestError, match=message):
        parse_query(0, request)


def test_qa_fields_defaults() -> None:
    query = parse_query(
        3, parse_request({"instruction": "What is it?", "hint": "show_only_context", "k": "2"})
    )
    assert (query.index, query.k, query.strategy, query.only_context) == (3, 2, "chunks", True)
    assert "{context}" in query.prompt and "{query}" in query.prompt
    assert parse_query(0, parse_request({"instruction": "q"})).k == DEFAULT_K
