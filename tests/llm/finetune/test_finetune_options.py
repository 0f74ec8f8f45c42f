"""Option parsing of action="finetune": typed sft.* keys, job names, model types (no model, no Ray)."""

from __future__ import annotations

import pytest

from byzer_engine.lang.errors import ByzerError
from byzer_engine.llm.finetune import options as opts


@pytest.mark.parametrize(
    ("key", "value", "name", "expected"),
    [
        ("sft.int.num_train_epochs", "4", "num_train_epochs", 4),
        ("sft.float.learning_rate", "1e-3", "learning_rate", 1e-3),
        ("sft.bool.gradient_checkpointing", "true", "gradient_checkpointing", True),
        ("sft.bool.fp16", "False", "fp16", False),
        ("sft.str.lr_scheduler_type", "cosine", "lr_scheduler_type", "cosine"),
        ("sft.int.max_seq_length", " 256 ", "max_seq_length", 256),
    ],
)
def test_typed_keys(key: str, value: str, name: str, expected: object) -> None:
    assert opts.sft_options({key: value, "action": "finetune"}) == {name: expected}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"sft.int.num_train_epochs": "three"}, "is not an int"),
        ({"sft.float.learning_rate": "fast"}, "is not a float"),
        ({"sft.bool.fp16": "maybe"}, "is not a boolean"),
        ({"sft.list.x": "1"}, "sft.TYPE.NAME"),
        ({"sft.learning_rate": "1"}, "sft.TYPE.NAME"),
    ],
)
def test_bad_typed_keys(options: dict[str, str], message: str) -> None:
    with pytest.raises(ByzerError, match=message):
        opts.sft_options(options)


def test_training_args_keep_defaults_and_leave_lora_keys_out() -> None:
    typed = opts.sft_options(
        {"sft.float.learning_rate": "0.002", "sft.int.lora_r": "4", "sft.int.max_seq_length": "128"}
    )
    args = opts.training_args(typed)
    assert args["learning_rate"] == 0.002
    assert args["num_train_epochs"] == opts.DEFAULT_TRAINING_ARGS["num_train_epochs"]
    assert "lora_r" not in args and "max_seq_length" not in args


def test_training_args_refuse_non_positive_values() -> None:
    with pytest.raises(ByzerError, match="num_train_epochs must be positive"):
        opts.training_args({"num_train_epochs": 0})


def test_lora_settings() -> None:
    default = opts.lora_settings({})
    assert (default.r, default.alpha, default.target_modules) == (8, 16, "all-linear")
    custom = opts.lora_settings({"lora_r": 4, "target_modules": "q_proj, v_proj"})
    assert (custom.r, custom.alpha, custom.target_modules) == (4, 8, ("q_proj", "v_proj"))
    with pytest.raises(ByzerError, match="lora_r must be positive"):
        opts.lora_settings({"lora_r": 0})


def test_job_names() -> None:
    assert opts.job_name({"name": "faq-v2"}) == "faq-v2"
    generated = opts.job_name({})
    assert generated.startswith("sft_") and opts.JOB_NAME_PATTERN.match(generated)
    assert generated != opts.job_name({})
    for bad in ("../escape", "a b", ".hidden", "x" * 200):
        with pytest.raises(ByzerError, match="not allowed"):
            opts.job_name({"name": bad})


def test_model_type_family() -> None:
    assert opts.model_type_family({"pretrainedModelType": "sft/llama2"}, "sft", "finetune") == "llama2"
    assert opts.model_type_family({}, "sft", "finetune") == "auto"
    with pytest.raises(ByzerError, match='pretrainedModelType="lora/'):
        opts.model_type_family({"pretrainedModelType": "sft/auto"}, "lora", "merge")


def test_spec_paths() -> None:
    spec = opts.FinetuneSpec(
        name="j", owner="admin", base_directory="/m", base_gguf_file="x.gguf", output_dir="/h/finetune/j"
    )
    assert spec.base_model == "/m/x.gguf"
    assert spec.adapter_dir == "/h/finetune/j/adapter"
    assert spec.plot_path == "/h/finetune/j/loss.png"
