"""The ``where`` options of ``action="finetune"`` turned into one checked, typed job description.

Typed keys ``sft.TYPE.NAME`` (TYPE: int, float, bool, str) set the training: a few names belong to
the LoRA/sequence setup (``LORA_KEYS``), every other NAME is a field of transformers'
``TrainingArguments`` (checked by the worker, which is the only place transformers is imported).
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from byzer_engine.booleans import parse_bool
from byzer_engine.lang.errors import ByzerError

JOB_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
SFT_TYPES = ("int", "float", "bool", "str")

# Keys of the LoRA/sequence setup; everything else under sft.* goes to TrainingArguments.
LORA_KEYS = frozenset(
    {"max_seq_length", "lora_r", "lora_alpha", "lora_dropout", "target_modules", "load_in_4bit", "qlora"}
)

# Defaults that let a ~100M-parameter model learn a small dataset in minutes on a CPU; a user
# overrides any of them with sft.* keys.
DEFAULT_TRAINING_ARGS: dict[str, Any] = {
    "num_train_epochs": 3,
    "learning_rate": 5e-4,
    "per_device_train_batch_size": 4,
    "gradient_accumulation_steps": 1,
    "lr_scheduler_type": "linear",
    "weight_decay": 0.0,
    "seed": 42,
}


@dataclass(frozen=True)
class LoraSettings:
    r: int = 8
    alpha: int = 16
    dropout: float = 0.05
    # "all-linear" (peft's shorthand for every linear layer but the output head) or module names.
    target_modules: str | tuple[str, ...] = "all-linear"


@dataclass(frozen=True)
class FinetuneSpec:
    """Everything a training worker needs; plain data so it crosses to Ray unchanged."""

    name: str
    owner: str
    base_directory: str
    base_gguf_file: str | None
    output_dir: str
    max_seq_length: int = 512
    lora: LoraSettings = field(default_factory=LoraSettings)
    training_args: Mapping[str, Any] = field(default_factory=dict)
    load_in_4bit: bool = False
    num_gpus: float = 0.0
    num_threads: int | None = None

    @property
    def base_model(self) -> str:
        """The base model as a user would name it: the GGUF file path, or the folder."""
        if self.base_gguf_file:
            return f"{self.base_directory.rstrip('/')}/{self.base_gguf_file}"
        return self.base_directory

    @property
    def adapter_dir(self) -> str:
        return f"{self.output_dir}/adapter"

    @property
    def checkpoint_dir(self) -> str:
        return f"{self.output_dir}/checkpoints"

    @property
    def log_path(self) -> str:
        return f"{self.output_dir}/train_log.json"

    @property
    def plot_path(self) -> str:
        return f"{self.output_dir}/loss.png"

    @property
    def summary_path(self) -> str:
        return f"{self.output_dir}/job.json"


def parse_typed(key: str, kind: str, value: str) -> Any:
    try:
        if kind == "int":
            return int(value.strip())
        if kind == "float":
            return float(value.strip())
    except ValueError:
        raise ByzerError(f"{key}: '{value}' is not a{'n' if kind == 'int' else ''} {kind}") from None
    if kind == "bool":
        return parse_bool(key, value)
    return value


def sft_options(options: Mapping[str, str]) -> dict[str, Any]:
    """``sft.TYPE.NAME`` keys as {NAME: typed value}; a bad TYPE or value is a clear error."""
    typed: dict[str, Any] = {}
    for key, value in options.items():
        if not key.startswith("sft."):
            continue
        parts = key.split(".", 2)
        if len(parts) != 3 or parts[1] not in SFT_TYPES or not parts[2]:
            raise ByzerError(
                f"'{key}' is not a training option; write sft.TYPE.NAME with TYPE one of {', '.join(SFT_TYPES)}"
            )
        typed[parts[2]] = parse_typed(key, parts[1], value)
    return typed


def parse_target_modules(value: Any) -> str | tuple[str, ...]:
    text = str(value).strip()
    if text in ("all-linear", "all_linear", "all"):
        return "all-linear"
    modules = tuple(part.strip() for part in text.split(",") if part.strip())
    if not modules:
        raise ByzerError("sft.str.target_modules is empty; give module names (q_proj,v_proj) or all-linear")
    return modules


def lora_settings(typed: Mapping[str, Any]) -> LoraSettings:
    r = int(typed.get("lora_r", 8))
    if r <= 0:
        raise ByzerError(f"sft.int.lora_r must be positive, got {r}")
    return LoraSettings(
        r=r,
        alpha=int(typed.get("lora_alpha", 2 * r)),
        dropout=float(typed.get("lora_dropout", 0.05)),
        target_modules=parse_target_modules(typed.get("target_modules", "all-linear")),
    )


def job_name(options: Mapping[str, str]) -> str:
    name = (options.get("name") or options.get("jobName") or "").strip()
    if not name:
        return f"sft_{time.strftime('%Y%m%d_%H%M%S')}_{secrets.token_hex(2)}"
    if not JOB_NAME_PATTERN.match(name):
        raise ByzerError(
            f"job name '{name}' is not allowed: use letters, digits, '_', '.' or '-' (at most 128, not starting with '.')"
        )
    return name


def training_args(typed: Mapping[str, Any]) -> dict[str, Any]:
    args = dict(DEFAULT_TRAINING_ARGS)
    args.update({key: value for key, value in typed.items() if key not in LORA_KEYS})
    for key in ("num_train_epochs", "learning_rate", "per_device_train_batch_size"):
        if float(args[key]) <= 0:
            raise ByzerError(f"sft.*.{key} must be positive, got {args[key]}")
    return args


def model_type_family(options: Mapping[str, str], prefix: str, action: str) -> str:
    """``sft/llama2`` -> ``llama2``; the family only names the model, any causal LM trains the same."""
    model_type = (options.get("pretrainedModelType") or f"{prefix}/auto").strip()
    head, _, family = model_type.partition("/")
    if head != prefix:
        raise ByzerError(
            f'action="{action}" needs pretrainedModelType="{prefix}/..." (e.g. "{prefix}/auto"), got "{model_type}"'
        )
    return family or "auto"
