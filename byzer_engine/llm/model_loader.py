"""Load a causal LM and its tokenizer from a Hugging Face folder, a GGUF file or a LoRA adapter folder.

GGUF files are de-quantized by transformers, which takes ~15 s for the default model (most of it
converting the tokenizer). The first load therefore saves the converted model as a plain Hugging Face
folder under a cache directory (``$BYZER_MODEL_CACHE``, default ``~/.cache/byzer_engine/models``), so
later loads (a replaced worker, a second replica, the next run) take well under a second.

A LoRA adapter folder (``adapter_config.json``) is loaded on its base model with peft. The base comes
from ``byzer_base.json`` (``{"directory": ..., "gguf_file": ...|null}``) written next to the adapter
when present, else from ``base_model_name_or_path`` in ``adapter_config.json``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from byzer_engine.lang.errors import ByzerError
from byzer_engine.llm.packaged import ModelLocation, resolve_model

CACHE_ENV = "BYZER_MODEL_CACHE"
BASE_FILE = "byzer_base.json"
ADAPTER_CONFIG = "adapter_config.json"
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "tokenizer.model")


def is_adapter(location: ModelLocation) -> bool:
    return location.gguf_file is None and (Path(location.directory) / ADAPTER_CONFIG).is_file()


def adapter_base(adapter_dir: str) -> ModelLocation:
    """The base model a LoRA adapter folder was trained on."""
    folder = Path(adapter_dir)
    base_file = folder / BASE_FILE
    if base_file.is_file():
        spec = json.loads(base_file.read_text())
        directory = spec.get("directory")
        if not directory:
            raise ByzerError(f"{base_file} has no 'directory'")
        return ModelLocation(str(directory), spec.get("gguf_file") or None)
    config = json.loads((folder / ADAPTER_CONFIG).read_text())
    base = config.get("base_model_name_or_path")
    if not base:
        raise ByzerError(
            f"adapter {adapter_dir} names no base model ({BASE_FILE} or base_model_name_or_path)"
        )
    return resolve_model(str(base))


def cache_root() -> Path:
    configured = os.environ.get(CACHE_ENV)
    return Path(configured) if configured else Path.home() / ".cache" / "byzer_engine" / "models"


def source_digest(source: Path, variant: str) -> str:
    """A short key for a converted copy of ``source``: changes when the file or ``variant`` (what the
    copy was made by or for) changes."""
    stat = source.stat()
    key = f"{source.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{variant}"
    return hashlib.sha1(key.encode()).hexdigest()[:16]


def _gguf_cache_dir(location: ModelLocation) -> Path:
    import transformers

    gguf = Path(location.directory) / str(location.gguf_file)
    return cache_root() / f"{gguf.stem}-{source_digest(gguf, transformers.__version__)}"


def _save_converted(model: Any, tokenizer: Any, target: Path) -> None:
    """Write the de-quantized model as a plain HF folder; another process may race us, the first wins."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    except OSError:
        return  # read-only home: keep working without the cache
    try:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        os.rename(staging, target)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)


def _torch_dtype(device: str) -> Any:
    import torch

    # Half precision is slow (or unsupported) on CPUs; a GPU keeps the checkpoint's own dtype.
    return torch.float32 if device == "cpu" else "auto"


def _load_base(location: ModelLocation, device: str) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    dtype = _torch_dtype(device)
    if location.gguf_file is None:
        directory = location.directory
        tokenizer = AutoTokenizer.from_pretrained(directory)
        model = AutoModelForCausalLM.from_pretrained(directory, dtype=dtype)
        return model, tokenizer
    cached = _gguf_cache_dir(location)
    if (cached / "config.json").is_file():
        return (
            AutoModelForCausalLM.from_pretrained(cached, dtype=dtype),
            AutoTokenizer.from_pretrained(cached),
        )
    tokenizer = AutoTokenizer.from_pretrained(location.directory, gguf_file=location.gguf_file)
    model = AutoModelForCausalLM.from_pretrained(
        location.directory, gguf_file=location.gguf_file, dtype=dtype
    )
    forget_gguf_quantization(model)
    _save_converted(model, tokenizer, cached)
    return model, tokenizer


def forget_gguf_quantization(model: Any) -> None:
    """A GGUF checkpoint is de-quantized to full precision on load, yet transformers still flags the
    model as quantized: Trainer would refuse it and save_pretrained would write a GGUF config. The model
    from a fresh conversion must be the same plain model a later load reads from the cache."""
    quantizer = getattr(model, "hf_quantizer", None)
    if quantizer is None or getattr(quantizer.quantization_config, "quant_method", None) != "gguf":
        return
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config


def _has_tokenizer(folder: Path) -> bool:
    return any((folder / name).is_file() for name in _TOKENIZER_FILES)


def load_model_and_tokenizer(
    location: ModelLocation, *, device: str = "cpu", merge_adapter: bool = False
) -> tuple[Any, Any]:
    """Load ``(model, tokenizer)`` onto ``device``; a LoRA adapter is applied to its base with peft.

    ``merge_adapter=True`` folds the adapter into the base weights (faster inference, no peft wrapper).
    The tokenizer always has a pad token (the EOS token when the model defines none).
    """
    if not Path(location.directory).exists():
        raise ByzerError(f"model folder '{location.directory}' does not exist")
    try:
        if is_adapter(location):
            base_location = adapter_base(location.directory)
            model, tokenizer = _load_base(base_location, device)
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, location.directory)
            if merge_adapter:
                model = model.merge_and_unload()
            if _has_tokenizer(Path(location.directory)):
                from transformers import AutoTokenizer

                tokenizer = AutoTokenizer.from_pretrained(location.directory)
        else:
            model, tokenizer = _load_base(location, device)
    except ByzerError:
        raise
    except (OSError, ValueError, KeyError) as exc:
        raise ByzerError(f"cannot load model from '{location.directory}': {exc}") from exc
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.to(device)
    model.eval()
    return model, tokenizer


def context_length(model: Any, tokenizer: Any) -> int:
    """The longest prompt-and-answer the model takes, from its config (else the tokenizer's limit)."""
    config = getattr(model, "config", None)
    for attr in ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length"):
        value = getattr(config, attr, None)
        if isinstance(value, int) and value > 0:
            return value
    limit = getattr(tokenizer, "model_max_length", 0)
    return limit if isinstance(limit, int) and 0 < limit < 1_000_000 else 2048


def eos_ids(model: Any, tokenizer: Any) -> set[int]:
    """The token ids that end an answer: the generation config's and the tokenizer's own."""
    ids: set[int] = set()
    configured = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    if isinstance(configured, int):
        ids.add(configured)
    elif isinstance(configured, list):
        ids.update(i for i in configured if isinstance(i, int))
    if tokenizer.eos_token_id is not None:
        ids.add(int(tokenizer.eos_token_id))
    return ids
