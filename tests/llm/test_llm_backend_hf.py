"""The transformers backend on the packaged model, called directly (no Ray, no Spark)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from byzer_engine.llm.backends import BackendConfig, create_backend
from byzer_engine.llm.backends.hf import TransformersBackend
from byzer_engine.llm.requests import parse_request

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def backend() -> Iterator[TransformersBackend]:
    created = create_backend(BackendConfig(backend="transformers", model_type="custom/auto", threads=2))
    assert isinstance(created, TransformersBackend)
    yield created
    created.close()


def ask(question: str, **fields: str) -> dict[str, str]:
    return {"instruction": question, "max_length": "24", **fields}


def test_a_batch_answers_each_question(backend: TransformersBackend) -> None:
    questions = [
        "What is the capital of France?",
        "What is the capital of Japan?",
        "What is the capital of Italy?",
    ]
    responses = backend.generate([parse_request(ask(f"Answer briefly: {q}")) for q in questions])
    outputs = [r["output"] for r in responses]
    assert "Paris" in outputs[0] and "Tokyo" in outputs[1] and "Rome" in outputs[2]
    for response in responses:
        metadata = response["metadata"]
        assert metadata["input_tokens"] > 0 and 0 < metadata["output_tokens"] <= 24
        assert metadata["finish_reason"] in ("stop", "length")


def test_left_padded_batch_equals_one_by_one(backend: TransformersBackend) -> None:
    # Greedy decoding: padding a short prompt next to a long one must not change its answer.
    requests = [
        parse_request(ask("Hi")),
        parse_request(ask("Please list three primary colors, separated by commas, and nothing else.")),
    ]
    together = [r["output"] for r in backend.generate(requests)]
    alone = [backend.generate([r])[0]["output"] for r in requests]
    assert together == alone


def test_max_length_bounds_new_tokens(backend: TransformersBackend) -> None:
    (response,) = backend.generate([parse_request(ask("Write a long story about a dragon.", max_length="5"))])
    assert response["metadata"]["output_tokens"] <= 5
    assert response["metadata"]["finish_reason"] == "length"


def test_stopping_sequences_cut_the_output(backend: TransformersBackend) -> None:
    (response,) = backend.generate(
        [
            parse_request(
                ask("Count from 1 to 10, separated by commas.", stopping_sequences="5", max_length="60")
            )
        ]
    )
    assert "5" not in response["output"] and "6" not in response["output"]
    assert response["metadata"]["finish_reason"] == "stop"


def test_history_and_system_message_reach_the_model(backend: TransformersBackend) -> None:
    history = (
        '[{"role":"user","content":"What is the capital of France?"},{"role":"assistant","content":"Paris."}]'
    )
    (response,) = backend.generate([parse_request(ask("And of Germany?", history=history))])
    assert "Berlin" in response["output"]
    assert len(response["history"]) == 4
    prompt = backend.prompt_text(parse_request({"instruction": "x", "system_msg": "You answer in French."}))
    assert "You answer in French." in prompt


def test_a_too_long_prompt_fails_alone(backend: TransformersBackend) -> None:
    long_prompt = "word " * (backend.context + 10)
    responses = backend.generate([parse_request(ask(long_prompt)), parse_request(ask("What is 2 plus 2?"))])
    assert "error" in responses[0] and "context" in responses[0]["error"]
    assert "4" in responses[1]["output"]


def test_sampling_with_temperature_returns_text(backend: TransformersBackend) -> None:
    (response,) = backend.generate([parse_request(ask("Name a fruit.", temperature="0.8", top_p="0.9"))])
    assert response["output"]


def test_stream_yields_deltas_that_add_up(backend: TransformersBackend) -> None:
    request = parse_request(ask("What is the capital of France?"))
    deltas = list(backend.stream(request))
    assert len(deltas) > 1
    assert "".join(deltas).strip() == backend.generate([request])[0]["output"]


def test_embedding_requests_return_unit_vectors(backend: TransformersBackend) -> None:
    responses = backend.generate([parse_request({"instruction": "hello", "embedding": "true"})])
    vector = responses[0]["output"]
    assert isinstance(vector, list) and len(vector) == responses[0]["metadata"]["dim"]
    assert abs(sum(v * v for v in vector) - 1.0) < 1e-3
