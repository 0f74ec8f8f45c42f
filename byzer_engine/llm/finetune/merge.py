"""Folds a LoRA adapter into its base model and writes a plain Hugging Face folder (a Ray task).

The result (safetensors weights, config, tokenizer with its chat template) deploys like any other
model folder and no longer needs peft or the base model.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any


def merge_adapter(
    base_directory: str, base_gguf_file: str | None, adapter_dir: str, target_dir: str, cuda: bool
) -> dict[str, Any]:
    """Writes the merged model into ``target_dir`` (which must not exist); returns a short summary."""
    import torch
    from peft import PeftModel
    from transformers import AutoTokenizer

    from byzer_engine.llm.finetune.training import load_base

    started = time.time()
    model, tokenizer = load_base(base_directory, base_gguf_file, cuda=cuda and torch.cuda.is_available())
    model = PeftModel.from_pretrained(model, adapter_dir).merge_and_unload()
    if any(Path(adapter_dir, name).is_file() for name in ("tokenizer.json", "tokenizer_config.json")):
        # The tokenizer saved with the adapter is the one it was trained with (chat template included).
        tokenizer = AutoTokenizer.from_pretrained(adapter_dir)
    model.save_pretrained(target_dir, safe_serialization=True)
    tokenizer.save_pretrained(target_dir)
    return {
        "parameters": int(sum(parameter.numel() for parameter in model.parameters())),
        "dtype": str(next(model.parameters()).dtype).removeprefix("torch."),
        "elapsed_s": round(time.time() - started, 1),
    }
