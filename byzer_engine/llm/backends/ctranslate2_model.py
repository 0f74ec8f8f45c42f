"""The CTranslate2 copy of a model: converted once from what transformers loads (a folder, a GGUF
file de-quantized, a LoRA adapter merged into its base) and kept in the model cache.

The copy is keyed by the source file (the GGUF file, or the folder's weights), the quantization and
the CTranslate2 version, so a changed model or library makes a new one. Conversion takes about 10 s for
the packaged model; a read-only cache converts into a temporary folder for this process only.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from byzer_engine.lang.errors import ByzerError
from byzer_engine.llm.model_loader import (
    cache_root,
    context_length,
    eos_ids,
    load_model_and_tokenizer,
    source_digest,
)
from byzer_engine.llm.packaged import ModelLocation

# What the backend needs beside the weights, written next to them.
FACTS_FILE = "byzer_ct2.json"
# The folder's file whose change means new weights, in order of preference.
_WEIGHT_FILES = ("adapter_model.safetensors", "adapter_model.bin", "model.safetensors", "pytorch_model.bin")


@dataclass(frozen=True)
class Converted:
    directory: Path
    context: int
    end_tokens: tuple[str, ...]


def compute_types(device: str) -> tuple[str, ...]:
    import ctranslate2

    return tuple(sorted(ctranslate2.get_supported_compute_types(device)))


def check_compute_type(value: str, device: str) -> str:
    """``value`` if this machine computes it on ``device``; ByzerError listing the ones it does."""
    choices = compute_types(device)
    if value not in choices:
        raise ByzerError(
            f"backend.compute_type '{value}' is not available on {device} here; use one of: "
            + ", ".join(choices)
        )
    return value


def _source_file(location: ModelLocation) -> Path:
    folder = Path(location.directory)
    if location.gguf_file:
        return folder / location.gguf_file
    for name in _WEIGHT_FILES:
        if (folder / name).is_file():
            return folder / name
    sharded = sorted(folder.glob("model-*.safetensors"))
    return sharded[0] if sharded else folder / "config.json"


def converted_model(location: ModelLocation, quantization: str) -> Converted:
    """The CTranslate2 folder of ``location`` weighted in ``quantization``, converting it first if the
    cache has none."""
    import ctranslate2

    source = _source_file(location)
    if not source.exists():
        raise ByzerError(f"no model to convert at {location.directory}")
    digest = source_digest(source, f"ctranslate2-{ctranslate2.__version__}-{quantization}")
    target = cache_root() / f"{Path(location.name).stem}-ct2-{quantization}-{digest}"
    if not (target / FACTS_FILE).is_file():
        target = _convert(location, quantization, target)
    facts = json.loads((target / FACTS_FILE).read_text())
    return Converted(target, int(facts["context"]), tuple(facts["end_tokens"]))


def _staging(target: Path) -> Path:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    except OSError:
        return Path(tempfile.mkdtemp(prefix="byzer-ct2-"))  # read-only cache: this process only


def _convert(location: ModelLocation, quantization: str, target: Path) -> Path:
    from ctranslate2.converters import TransformersConverter

    model, tokenizer = load_model_and_tokenizer(location, device="cpu", merge_adapter=True)
    staging = _staging(target)
    source, output = staging / "hf", staging / "ct2"
    try:
        model.save_pretrained(source)
        tokenizer.save_pretrained(source)
        TransformersConverter(str(source)).convert(str(output), quantization=quantization)
        tokenizer.save_pretrained(output)
        facts = {"context": context_length(model, tokenizer), "end_tokens": _end_tokens(model, tokenizer)}
        (output / FACTS_FILE).write_text(json.dumps(facts))
        shutil.rmtree(source, ignore_errors=True)
    except Exception as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ByzerError(f"converting {location.name} for CTranslate2 failed: {exc}") from exc
    if staging.parent != target.parent:
        return output
    # Another worker may have converted it first (the rename then fails): theirs is the same.
    with contextlib.suppress(OSError):
        os.rename(output, target)
    shutil.rmtree(staging, ignore_errors=True)
    return target


def _end_tokens(model: Any, tokenizer: Any) -> list[str]:
    return sorted(str(t) for t in tokenizer.convert_ids_to_tokens(sorted(eos_ids(model, tokenizer))))
