"""The llamacpp backend on the packaged GGUF model: answers, batched decoding equal to one at a time,
sampling, stop sequences, structured output, embeddings and per-row errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from llm_support import CAPITALS, ask, capital

from byzer_engine.llm.backends import create_backend
from byzer_engine.llm.backends.base import BackendConfig
from byzer_engine.llm.backends.llamacpp import LlamaCppBackend
from byzer_engine.llm.requests import parse_request


@pytest.fixture(scope="module")
def backend() -> Iterator[LlamaCppBackend]:
    created = create_backend(
        BackendConfig(backend="llamacpp", model_type="custom/auto", threads=2, options={"batch_size": "4"})
    )
    assert isinstance(created, LlamaCppBackend)
    yield created
    created.close()


def answers(backend: LlamaCppBackend, raws: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return backend.generate([parse_request(r) for r in raws])


def test_it_names_most_capitals(backend: LlamaCppBackend) -> None:
    responses = answers(backend, [capital(country) for country, _ in CAPITALS])
    right = [city for (_, city), r in zip(CAPITALS, responses, strict=True) if city in r["output"]]
    assert len(right) >= 5, [r["output"] for r in responses]
    meta = responses[0]["metadata"]
    assert meta["backend"] == "llamacpp" and meta["model"].startswith("SmolLM2-135M-Instruct")
    assert 0 < meta["output_tokens"] <= 16 and meta["input_tokens"] > 10


def test_batched_greedy_answers_equal_one_at_a_time(backend: LlamaCppBackend) -> None:
    # Six requests over four sequence slots: rows join the batch as others finish.
    raws = [capital(country) for country, _ in CAPITALS]
    batched = [r["output"] for r in answers(backend, raws)]
    alone = [answers(backend, [raw])[0]["output"] for raw in raws]
    assert batched == alone
    assert batched == [r["output"] for r in answers(backend, raws)]  # greedy is deterministic


def test_max_length_and_stop_sequences(backend: LlamaCppBackend) -> None:
    france = capital("France")
    whole, short, stopped = answers(
        backend, [france, {**france, "max_length": "3"}, {**france, "stopping_sequences": " Paris"}]
    )
    assert "Paris" in whole["output"] and whole["metadata"]["finish_reason"] == "stop"
    assert short["metadata"]["output_tokens"] == 3 and short["metadata"]["finish_reason"] == "length"
    assert whole["output"].startswith(short["output"])
    assert "Paris" not in stopped["output"] and stopped["metadata"]["finish_reason"] == "stop"
    assert stopped["output"] and whole["output"].startswith(stopped["output"])


def test_a_stream_is_the_answer_token_by_token(backend: LlamaCppBackend) -> None:
    request = parse_request(capital("France"))
    deltas = list(backend.stream(request))
    assert len(deltas) > 1 and "".join(deltas).strip() == answers(backend, [capital("France")])[0]["output"]
    stopped = "".join(backend.stream(parse_request(capital("France") | {"stopping_sequences": " Paris"})))
    assert "Paris" not in stopped
    # A reader that goes away ends the decoding; the backend serves the next request.
    stream = backend.stream(parse_request(ask("Count from one to fifty in words.", max_length="200")))
    assert next(stream)
    stream.close()
    assert "Paris" in answers(backend, [capital("France")])[0]["output"]


def test_system_message_and_history_reach_the_prompt(backend: LlamaCppBackend) -> None:
    plain = backend.prompt_text(parse_request(ask("Hi")))
    assert plain.endswith("<|im_start|>assistant\n") and "<|im_start|>user\nHi<|im_end|>" in plain
    request = parse_request(
        ask("And its capital?", system_msg="Answer briefly.", history=json.dumps([
            {"role": "user", "content": "Which country is Paris in?"},
            {"role": "assistant", "content": "France."},
        ]))
    )  # fmt: skip
    text = backend.prompt_text(request)
    assert text.startswith("<|im_start|>system\nAnswer briefly.<|im_end|>")
    assert text.index("Which country is Paris in?") < text.index("France.") < text.index("And its capital?")


def test_sampling_with_a_seed_repeats(backend: LlamaCppBackend) -> None:
    raw = ask("Name a fruit.", temperature="0.9", top_p="0.9", top_k="40", **{"generation.seed": "7"})
    # Equal rows of one batch draw the same tokens. (Another call may not: where the KV cells fall
    # changes the rounding of attention a little, enough to move a sampled token near a boundary.)
    first, second, other = answers(backend, [raw, raw, {**raw, "generation.seed": "8"}])
    assert first["output"] and first["output"] == second["output"]
    assert other["output"] and other["metadata"]["output_tokens"] <= 16


def test_structured_output_follows_its_schema(backend: LlamaCppBackend) -> None:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
        "required": ["city", "country"],
    }
    (response,) = answers(
        backend,
        [
            ask(
                "What is the capital of France? Reply in JSON.",
                max_length="40",
                response_format=json.dumps(schema),
            )
        ],
    )
    assert "error" not in response, response
    value = json.loads(response["output"])
    assert set(value) == {"city", "country"}


def test_embeddings_are_unit_vectors(backend: LlamaCppBackend) -> None:
    cat, kitten, tax = answers(
        backend,
        [
            {"instruction": "a small cat", "embedding": "true"},
            {"instruction": "a little kitten", "embedding": "true"},
            {"instruction": "income tax law", "embedding": "true"},
        ],
    )
    vectors = [r["output"] for r in (cat, kitten, tax)]
    assert all(len(v) == cat["metadata"]["dim"] == 576 for v in vectors)
    assert all(abs(sum(x * x for x in v) - 1) < 1e-6 for v in vectors)

    def dot(a: list[float], b: list[float]) -> float:
        return sum(x * y for x, y in zip(a, b, strict=True))

    assert dot(vectors[0], vectors[1]) > dot(vectors[0], vectors[2])


def test_bad_requests_fail_only_their_own_row(backend: LlamaCppBackend) -> None:
    too_long = ask("word " * 10000)
    unknown = ask("Hi", **{"generation.repetition_penalty": "1.2"})
    good = capital("France")
    responses = answers(backend, [too_long, good, unknown, good])
    assert "more than the model's context of 8192 tokens" in responses[0]["error"]
    assert (
        "generation.repetition_penalty" in responses[2]["error"] and "not supported" in responses[2]["error"]
    )
    assert "Paris" in responses[1]["output"] and responses[1]["output"] == responses[3]["output"]


def test_a_folder_without_gguf_is_refused_clearly(tmp_path: Any) -> None:
    from byzer_engine.lang.errors import ByzerError

    with pytest.raises(ByzerError, match=r"reads GGUF files .*infer_backend=transformers"):
        LlamaCppBackend(BackendConfig(backend="llamacpp", model_type="custom/auto", model_dir=str(tmp_path)))


def test_a_batch_mixing_long_instructions_is_decoded_group_by_group() -> None:
    from byzer_engine.llm.backends.shared_prefix import prefix_groups

    template = [1] * 10
    first, second = template + list(range(100, 140)), template + list(range(200, 240))
    prompts = [[*first, 5], [*second, 6], [*first, 7], [*template, 9, 9], [*second, 8]]
    # Each instruction's rows together (its prefix computed once); a row sharing with none goes last.
    assert prefix_groups(prompts) == [[0, 2], [1, 4], [3]]
    assert prefix_groups([[*first, 1], [*first, 2]]) == [[0, 1]]  # one instruction: one group
    assert prefix_groups([[1, 2, 3], [4, 5, 6]]) == [[0, 1]]  # nothing shared: decoded together


def test_f16_weights_are_converted_once_and_answer_as_well(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, backend: LlamaCppBackend
) -> None:
    monkeypatch.setenv("BYZER_MODEL_CACHE", str(tmp_path))

    def deploy() -> LlamaCppBackend:
        config = BackendConfig(
            backend="llamacpp",
            model_type="custom/auto",
            threads=2,
            options={"batch_size": "4", "weights": "f16"},
        )
        created = LlamaCppBackend(config)
        assert created.describe()["weights"] == "f16"
        return created

    first = deploy()
    try:
        raws = [capital(country) for country, _ in CAPITALS]
        converted = answers(first, raws)
    finally:
        first.close()
    (copy,) = tmp_path.glob("*-f16-*.gguf")
    made = copy.stat().st_mtime_ns
    # The copy holds the Q4_1 values in float16: most answers are the same, the capitals as right.
    native = [r["output"] for r in answers(backend, raws)]
    right = [city for (_, city), r in zip(CAPITALS, converted, strict=True) if city in r["output"]]
    assert len(right) >= 5, [r["output"] for r in converted]
    assert sum(a == r["output"] for a, r in zip(native, converted, strict=True)) >= 4
    second = deploy()  # reuses the converted copy
    second.close()
    assert copy.stat().st_mtime_ns == made and len(list(tmp_path.iterdir())) == 1


def test_an_unknown_weight_type_is_refused_clearly() -> None:
    from byzer_engine.lang.errors import ByzerError

    config = BackendConfig(backend="llamacpp", model_type="custom/auto", options={"weights": "q3_x"})
    with pytest.raises(ByzerError, match=r"backend.weights must be one of native, f32, f16"):
        LlamaCppBackend(config)
