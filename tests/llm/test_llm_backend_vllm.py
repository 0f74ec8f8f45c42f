"""The vllm backend: engine-argument typing (any machine), and the packaged model on a CUDA GPU."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from byzer_engine.lang.errors import ByzerError
from byzer_engine.llm.backends import BackendConfig, create_backend
from byzer_engine.llm.backends.vllm_backend import build_engine_args, engine_args, engine_value
from byzer_engine.llm.packaged import default_model
from byzer_engine.llm.requests import parse_request

QUESTION = "What is the capital of France?"
CONTEXT = 512
VLLM_MISSING = importlib.util.find_spec("vllm") is None


def vllm_config(**options: str) -> BackendConfig:
    return BackendConfig(backend="vllm", model_type="custom/auto", num_gpus=1.0, options=options)


# -- engine arguments (pure, runs anywhere) --------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("4096", 4096),
        ("-1", -1),
        ("0.85", 0.85),
        (".5", 0.5),
        ("1e-3", 0.001),
        ("true", True),
        ("False", False),
        ("half", "half"),
        ("auto", "auto"),
        ('{"image": 2}', {"image": 2}),
        ("[1, 2]", [1, 2]),
        ("{not json", "{not json"),
        ("/models/qwen", "/models/qwen"),
        ("1.2.3", "1.2.3"),
    ],
)
def test_engine_values_are_typed(text: str, value: Any) -> None:
    typed = engine_value(text)
    assert typed == value and type(typed) is type(value)


def test_backend_options_become_engine_args() -> None:
    args = engine_args(
        {
            "max_model_len": "4096",
            "gpu_memory_utilization": "0.5",
            "tensor_parallel_size": "2",
            "dtype": "half",
            "enforce-eager": "true",
            "threads": "4",
        }
    )
    assert args == {
        "max_model_len": 4096,
        "gpu_memory_utilization": 0.5,
        "tensor_parallel_size": 2,
        "dtype": "half",
        "enforce_eager": True,
    }


def test_the_model_is_the_gguf_file_or_the_folder(tmp_path: Path) -> None:
    packaged = default_model()
    args = build_engine_args(vllm_config(max_model_len="1024"))
    assert args == {"model": str(Path(packaged.directory) / str(packaged.gguf_file)), "max_model_len": 1024}
    folder = BackendConfig(backend="vllm", model_type="llama", model_dir=str(tmp_path), num_gpus=1.0)
    assert build_engine_args(folder) == {"model": str(tmp_path)}


def test_a_gpu_share_claims_its_share_of_memory_unless_told_otherwise(tmp_path: Path) -> None:
    def config(**options: str) -> BackendConfig:
        return BackendConfig(
            backend="vllm", model_type="llama", model_dir=str(tmp_path), num_gpus=0.5, options=options
        )

    assert build_engine_args(config())["gpu_memory_utilization"] == 0.45
    assert build_engine_args(config(gpu_memory_utilization="0.3"))["gpu_memory_utilization"] == 0.3


def test_a_lora_adapter_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "adapter_config.json").write_text("{}")
    config = BackendConfig(backend="vllm", model_type="llama", model_dir=str(tmp_path), num_gpus=1.0)
    with pytest.raises(ByzerError, match="LoRA adapter"):
        build_engine_args(config)


@pytest.mark.skipif(not VLLM_MISSING, reason="vllm is installed here, so the missing-vllm error cannot occur")
def test_without_vllm_the_error_says_how_to_install_it() -> None:
    with pytest.raises(ByzerError, match=r"pip install 'byzer-engine\[gpu\]'"):
        create_backend(vllm_config())


# -- the packaged model on a GPU -------------------------------------------------------------------
def _cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


@pytest.fixture(scope="module")
def vllm_backend() -> Iterator[Any]:
    pytest.importorskip("vllm", reason="vllm is not installed (pip install 'byzer-engine[gpu]')")
    if not _cuda_available():
        pytest.skip("no CUDA GPU on this machine")
    from byzer_engine.llm.backends.vllm_backend import VLLMBackend

    backend = create_backend(
        vllm_config(max_model_len=str(CONTEXT), gpu_memory_utilization="0.3", enforce_eager="true")
    )
    assert isinstance(backend, VLLMBackend)
    yield backend
    backend.close()


def ask(question: str, **fields: str) -> Any:
    return parse_request({"instruction": question, "max_length": "24", "temperature": "0", **fields})


@pytest.mark.gpu
def test_the_packaged_model_answers_with_paris(vllm_backend: Any) -> None:
    (response,) = vllm_backend.generate([ask(QUESTION)])
    assert "Paris" in response["output"], response
    metadata = response["metadata"]
    assert metadata["input_tokens"] > 0 and 0 < metadata["output_tokens"] <= 24
    assert metadata["finish_reason"] in ("stop", "length")
    assert metadata["backend"] == "vllm" and vllm_backend.describe()["context"] == CONTEXT


@pytest.mark.gpu
def test_a_too_long_prompt_fails_only_its_own_row(vllm_backend: Any) -> None:
    responses = vllm_backend.generate([ask("word " * (CONTEXT * 2)), ask(QUESTION)])
    assert "error" in responses[0] and "context" in responses[0]["error"]
    assert responses[0]["input"]["instruction"].startswith("word ")
    assert "Paris" in responses[1]["output"]


@pytest.mark.gpu
def test_settings_per_request_in_one_batch(vllm_backend: Any) -> None:
    responses = vllm_backend.generate(
        [
            ask("Count from 1 to 10, separated by commas.", stopping_sequences="5", max_length="60"),
            ask("Write a long story about a dragon.", max_length="5"),
            ask(QUESTION, temperature="0.7", top_p="0.9"),
        ]
    )
    assert "5" not in responses[0]["output"] and responses[0]["metadata"]["finish_reason"] == "stop"
    assert responses[1]["metadata"]["output_tokens"] <= 5
    assert responses[1]["metadata"]["finish_reason"] == "length"
    assert isinstance(responses[2]["output"], str) and "error" not in responses[2]
