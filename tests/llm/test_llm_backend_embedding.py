"""The embedding backend called directly (no Ray, no Spark): a tiny encoder built here, and the packaged model."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from byzer_engine.llm.backends import BackendConfig, create_backend
from byzer_engine.llm.backends.embedding import EmbeddingBackend
from byzer_engine.llm.requests import parse_request

WORDS = (
    "the",
    "a",
    "cat",
    "dog",
    "sat",
    "on",
    "mat",
    "ran",
    "in",
    "park",
    "sun",
    "is",
    "hot",
    "cold",
    "moon",
    "night",
    "day",
)


@pytest.fixture(scope="module")
def encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised two-layer BERT with a word-level vocabulary, saved as a model folder."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizer

    folder = tmp_path_factory.mktemp("tiny-bert")
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]
    BertTokenizer(vocab={token: i for i, token in enumerate(tokens)}).save_pretrained(folder)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(tokens),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    BertModel(config).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def encoder(encoder_dir: Path) -> Iterator[EmbeddingBackend]:
    config = BackendConfig(
        backend="embedding", model_type="custom/bge", model_dir=str(encoder_dir), threads=1
    )
    backend = create_backend(config)
    assert isinstance(backend, EmbeddingBackend)
    yield backend
    backend.close()


def embed(backend: EmbeddingBackend, *texts: str) -> list[list[float]]:
    responses = backend.generate([parse_request({"instruction": t}) for t in texts])
    return [r["output"] for r in responses]


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_vectors_have_the_model_width_and_unit_length(encoder: EmbeddingBackend) -> None:
    (response,) = encoder.generate([parse_request({"instruction": "the cat sat on the mat"})])
    vector = response["output"]
    assert len(vector) == 32 == response["metadata"]["dim"] == encoder.describe()["dim"]
    assert math.isclose(math.sqrt(sum(v * v for v in vector)), 1.0, rel_tol=1e-5)
    assert response["metadata"]["input_tokens"] == 8  # [CLS] six words [SEP]
    assert response["input"] == {"instruction": "the cat sat on the mat"}


def test_a_padded_batch_equals_one_by_one(encoder: EmbeddingBackend) -> None:
    texts = ["sun", "the dog ran in the park on a hot day", "moon night", "cat"]
    together = embed(encoder, *texts)
    alone = [embed(encoder, t)[0] for t in texts]
    for a, b in zip(together, alone, strict=True):
        assert all(math.isclose(x, y, abs_tol=1e-5) for x, y in zip(a, b, strict=True))


def test_same_text_same_vector_and_different_texts_differ(encoder: EmbeddingBackend) -> None:
    first, again, other = embed(encoder, "the cat sat", "the cat sat", "moon night cold")
    assert first == again
    assert cosine(first, other) < 0.9999


def test_an_empty_instruction_is_an_error_for_that_request_only(encoder: EmbeddingBackend) -> None:
    responses = encoder.generate([parse_request({"instruction": t}) for t in ("cat", "  ", "dog")])
    assert "error" in responses[1] and "empty" in responses[1]["error"]
    assert isinstance(responses[0]["output"], list) and isinstance(responses[2]["output"], list)


def test_long_texts_are_truncated_at_the_model_limit(encoder: EmbeddingBackend) -> None:
    assert encoder.max_length == 64
    (response,) = encoder.generate([parse_request({"instruction": " ".join(["cat"] * 500)})])
    assert response["metadata"]["input_tokens"] == 64


def test_bad_backend_options_are_refused(encoder_dir: Path) -> None:
    from byzer_engine.lang.errors import ByzerError

    config = BackendConfig(
        backend="embedding", model_type="custom/m3e", model_dir=str(encoder_dir), options={"batch_size": "0"}
    )
    with pytest.raises(ByzerError, match=r"backend\.batch_size"):
        create_backend(config)


@pytest.mark.slow
def test_without_a_model_dir_the_packaged_model_embeds_and_ranks_by_meaning() -> None:
    backend = create_backend(BackendConfig(backend="embedding", model_type="custom/bge", threads=2))
    assert isinstance(backend, EmbeddingBackend)
    try:
        assert str(backend.describe()["model"]).startswith("SmolLM2-135M-Instruct")
        query, everest, bread = embed(
            backend,
            "How tall is Mount Everest?",
            "Mount Everest in the Himalayas is the highest mountain on Earth, 8,849 metres tall.",
            "Sourdough bread is leavened with a starter of wild yeast and lactic acid bacteria.",
        )
        assert cosine(query, everest) > cosine(query, bread)
    finally:
        backend.close()
