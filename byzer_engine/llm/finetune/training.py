"""The training pieces the worker puts together: base model + LoRA, Trainer arguments, batches, progress.

Imported only inside Ray actors and tasks (it imports torch, transformers and peft).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import math
from collections.abc import Callable, Sequence
from typing import Any

import torch
from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training
from transformers import (
    TrainerCallback,
    TrainerControl,
    TrainerState,
    TrainingArguments,
)

from byzer_engine.llm.finetune.options import FinetuneSpec, LoraSettings
from byzer_engine.llm.finetune.prompts import IGNORE_INDEX, Example

# Set by the engine, not by sft.* keys: they decide where files go and how the job reports.
ENGINE_OWNED_ARGS = frozenset({"output_dir", "report_to", "disable_tqdm", "remove_unused_columns", "use_cpu"})


class TrainingSetupError(ValueError):
    """A training option or the base model cannot be used; the message is shown to the user."""


def use_cuda(spec: FinetuneSpec) -> bool:
    return spec.num_gpus > 0 and torch.cuda.is_available()


def check_qlora(spec: FinetuneSpec) -> None:
    if not spec.load_in_4bit:
        return
    if not use_cuda(spec):
        raise TrainingSetupError(
            "QLoRA (sft.bool.load_in_4bit) needs a CUDA GPU (num_gpus > 0); this worker has none"
        )
    if importlib.util.find_spec("bitsandbytes") is None:
        raise TrainingSetupError(
            "QLoRA (sft.bool.load_in_4bit) needs the bitsandbytes package on the Ray workers"
        )
    if spec.base_gguf_file:
        raise TrainingSetupError(
            "QLoRA needs a Hugging Face model folder as base; a GGUF file is already quantized"
        )


def load_base(
    directory: str, gguf_file: str | None, *, cuda: bool, load_in_4bit: bool = False
) -> tuple[Any, Any]:
    """The base causal LM and its tokenizer, in a dtype that trains on the chosen device."""
    if not load_in_4bit:
        # The shared loader: it keeps a converted copy of GGUF checkpoints, so reloads are quick.
        from byzer_engine.llm.model_loader import load_model_and_tokenizer
        from byzer_engine.llm.packaged import ModelLocation

        return load_model_and_tokenizer(ModelLocation(directory, gguf_file), device="cuda" if cuda else "cpu")
    from transformers import AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig

    dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    tokenizer = AutoTokenizer.from_pretrained(directory)
    model = AutoModelForCausalLM.from_pretrained(
        directory,
        dtype=dtype,
        device_map={"": 0},
        quantization_config=BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=dtype,
        ),
    )
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


def with_lora(model: Any, lora: LoraSettings, *, quantized: bool) -> Any:
    if quantized:
        model = prepare_model_for_kbit_training(model)
    config = LoraConfig(
        r=lora.r,
        lora_alpha=lora.alpha,
        lora_dropout=lora.dropout,
        target_modules=lora.target_modules
        if isinstance(lora.target_modules, str)
        else list(lora.target_modules),
        bias="none",
        task_type="CAUSAL_LM",
    )
    try:
        return get_peft_model(model, config)
    except ValueError as error:  # peft's "Target modules ... not found"
        raise TrainingSetupError(f"LoRA target modules do not fit this model: {error}") from None


def training_arguments(spec: FinetuneSpec, *, rows: int, cuda: bool) -> TrainingArguments:
    """TrainingArguments from the defaults and sft.* keys; unknown keys are named in the error."""
    known = {f.name for f in dataclasses.fields(TrainingArguments) if f.init}
    given = dict(spec.training_args)
    unknown = sorted(key for key in given if key not in known or key in ENGINE_OWNED_ARGS)
    if unknown:
        raise TrainingSetupError(
            f"unknown or reserved training option(s): {', '.join('sft.*.' + key for key in unknown)}; "
            "see transformers' TrainingArguments for the names"
        )
    if "logging_steps" not in given:
        steps_per_epoch = math.ceil(
            rows
            / (int(given["per_device_train_batch_size"]) * int(given.get("gradient_accumulation_steps", 1)))
        )
        total = int(given.get("max_steps", -1))
        if total <= 0:
            total = math.ceil(steps_per_epoch * float(given["num_train_epochs"]))
        given["logging_steps"] = max(1, total // 100)  # about a hundred points on the loss curve
    if cuda and not ({"bf16", "fp16"} & set(given)):
        given["bf16" if torch.cuda.is_bf16_supported() else "fp16"] = True
    given.setdefault("save_strategy", "no")
    try:
        return TrainingArguments(
            output_dir=spec.checkpoint_dir,
            report_to="none",
            disable_tqdm=True,
            remove_unused_columns=False,
            use_cpu=not cuda,
            dataloader_pin_memory=cuda,
            **given,
        )
    except (TypeError, ValueError) as error:
        raise TrainingSetupError(f"bad training options: {error}") from None


def collator(pad_token_id: int) -> Callable[[Sequence[Example]], dict[str, torch.Tensor]]:
    """Right-pads a batch to its longest example; padding is masked out of attention and loss."""

    def collate(batch: Sequence[Example]) -> dict[str, torch.Tensor]:
        width = max(len(example.input_ids) for example in batch)
        ids, labels, mask = [], [], []
        for example in batch:
            pad = width - len(example.input_ids)
            ids.append([*example.input_ids, *([pad_token_id] * pad)])
            labels.append([*example.labels, *([IGNORE_INDEX] * pad)])
            mask.append([1] * len(example.input_ids) + [0] * pad)
        return {
            "input_ids": torch.tensor(ids, dtype=torch.long),
            "labels": torch.tensor(labels, dtype=torch.long),
            "attention_mask": torch.tensor(mask, dtype=torch.long),
        }

    return collate


class ProgressCallback(TrainerCallback):
    """Sends the step count and each logged loss to ``report`` (the job registry)."""

    def __init__(
        self, on_progress: Callable[[dict[str, Any]], None], on_log: Callable[[dict[str, Any]], None]
    ):
        self._on_progress = on_progress
        self._on_log = on_log

    def on_train_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        self._on_progress({"phase": "training", "total_steps": state.max_steps, "step": 0})

    def on_step_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        self._on_progress({"step": state.global_step, "epoch": round(float(state.epoch or 0.0), 4)})

    def on_log(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        logs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if not logs or "loss" not in logs:
            return  # the end-of-training summary has train_loss, not loss
        self._on_log(
            {
                "step": int(state.global_step),
                "epoch": _number(logs.get("epoch", state.epoch)),
                "loss": _number(logs["loss"]),
                "learning_rate": _number(logs.get("learning_rate")),
                "grad_norm": _number(logs.get("grad_norm")),
            }
        )


def _number(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
