"""The ctranslate2 backend on the packaged model (converted once to int8): answers, batching and the
shared template prefix never changing an answer, max length and stops, streaming, sampling, and the
requests it refuses row by row."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
from llm_support import CAPITALS, ask, capital

from byzer_engine.lang.errors import ByzerError
from byzer_engine.llm.backends import backend_for, create_backend
from byzer_engine.llm.backends.base import BackendConfig
from byzer_engine.llm.backends.ctranslate2_backend import CTranslate2Backend
from byzer_engine.llm.requests import parse_request


@pytest.fixture(scope="module")
def backend() -> Iterator[CTranslate2Backend]:
    created = create_backend(
        BackendConfig(backend="ctranslate2", model_type="custom/auto", threads=2, options={"batch_size": "4"})
    )
    assert isinstance(created, CTranslate2Backend)
    yield created
    created.close()


def answers(backend: CTranslate2Backend, raws: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return backend.generate([parse_request(r) for r in raws])


def test_it_is_chosen_by_name_and_names_most_capitals(backend: CTranslate2Backend) -> None:
    assert backend_for("causal", "ct2") is CTranslate2Backend
    responses = answers(backend, [capital(country) for country, _ in CAPITALS])
    right = [city for (_, city), r in zip(CAPITALS, responses, strict=True) if city in r["output"]]
    assert len(right) >= 5, [r["output"] for r in responses]
    meta = responses[0]["metadata"]
    assert meta["backend"] == "ctranslate2" and meta["model"].startswith("SmolLM2-135M-Instruct")
    assert 0 < meta["output_tokens"] <= 16 and meta["input_tokens"] > 10
    described = backend.describe()
    assert described["compute_type"] == "int8" and described["shared_prefix_tokens"] > 10
    assert described["threads"] == 2 and described["replicas"] == 2
    assert meta["shared_prefix_tokens"] == described["shared_prefix_tokens"]


def test_batching_order_and_the_shared_prefix_never_change_an_answer(backend: CTranslate2Backend) -> None:
    raws = [capital(country) for country, _ in CAPITALS]
    batched = [r["output"] for r in answers(backend, raws)]
    alone = [answers(backend, [raw])[0]["output"] for raw in raws]
    assert batched == alone
    # One replica computing the whole batch answers as the two replicas do, each on half of it.
    single = create_backend(
        BackendConfig(
            backend="ctranslate2",
            model_type="custom/auto",
            threads=2,
            options={"batch_size": "4", "replicas": "1"},
        )
    )
    try:
        assert single.describe()["replicas"] == 1
        assert [r["output"] for r in answers(single, raws)] == batched  # type: ignore[arg-type]
    finally:
        single.close()
    order = list(range(len(raws)))
    random.Random(3).shuffle(order)
    shuffled = answers(backend, [raws[i] for i in order])
    assert [r["input"]["instruction"] for r in shuffled] == [raws[i]["instruction"] for i in order]
    assert [r["output"] for r in shuffled] == [batched[i] for i in order]
    # A system message changes the template's opening: that row runs on its whole prompt.
    whole = answers(backend, [{**raws[0], "system_msg": "You are a helpful AI assistant."}])[0]
    assert whole["metadata"]["shared_prefix_tokens"] == 0 and "Paris" in whole["output"]


def test_max_length_and_stop_sequences(backend: CTranslate2Backend) -> None:
    france = capital("France")
    whole, short, stopped = answers(
        backend, [france, {**france, "max_length": "3"}, {**france, "stopping_sequences": " Paris"}]
    )
    assert "Paris" in whole["output"] and whole["metadata"]["finish_reason"] == "stop"
    assert short["metadata"]["output_tokens"] == 3 and short["metadata"]["finish_reason"] == "length"
    assert whole["output"].startswith(short["output"])
    assert "Paris" not in stopped["output"] and stopped["metadata"]["finish_reason"] == "stop"
    assert stopped["output"] and whole["output"].startswith(stopped["output"])


def test_a_stream_is_the_answer_token_by_token(backend: CTranslate2Backend) -> None:
    deltas = list(backend.stream(parse_request(capital("France"))))
    assert len(deltas) > 1 and "".join(deltas).strip() == answers(backend, [capital("France")])[0]["output"]
    stopped = "".join(backend.stream(parse_request(capital("France") | {"stopping_sequences": " Paris"})))
    assert stopped and "Paris" not in stopped


def test_sampling_answers_within_its_budget(backend: CTranslate2Backend) -> None:
    raw = ask("Name a fruit.", temperature="0.9", top_p="0.9", top_k="40", max_length="8")
    (response,) = answers(backend, [raw])
    assert response["output"] and response["metadata"]["output_tokens"] <= 8


def test_requests_it_cannot_serve_fail_only_their_own_row(backend: CTranslate2Backend) -> None:
    good = capital("France")
    responses = answers(
        backend,
        [
            ask("word " * 10000),
            good,
            {"instruction": "a small cat", "embedding": "true"},
            ask("Hi", response_format='{"type": "object"}'),
            ask("Hi", **{"generation.seed": "7"}),
            good,
        ],
    )
    assert "more than the model's context of 8192 tokens" in responses[0]["error"]
    assert "does not embed" in responses[2]["error"] and "infer_backend=llamacpp" in responses[2]["error"]
    assert "JSON schema" in responses[3]["error"]
    assert "generation.seed" in responses[4]["error"] and "not supported" in responses[4]["error"]
    assert "Paris" in responses[1]["output"] and responses[1]["output"] == responses[5]["output"]
    assert (
        backend.count_tokens([parse_request(good), parse_request({"instruction": "x", "embedding": "true"})])[
            1
        ]
        is None
    )


def test_an_unknown_compute_type_is_refused_with_the_choices() -> None:
    with pytest.raises(
        ByzerError, match=r"compute_type 'fp8' is not available on cpu here; use one of: .*int8"
    ):
        CTranslate2Backend(
            BackendConfig(backend="ctranslate2", model_type="custom/auto", options={"compute_type": "fp8"})
        )


def test_more_replicas_than_threads_is_refused() -> None:
    with pytest.raises(ByzerError, match=r"backend.replicas \(3\) must be at most backend.threads \(2\)"):
        CTranslate2Backend(
            BackendConfig(
                backend="ctranslate2", model_type="custom/auto", threads=2, options={"replicas": "3"}
            )
        )
