"""The weight type a llamacpp deploy computes with (``backend.weights``).

``native`` (the default) serves the GGUF file's own blocks. Another type re-writes the file's weights
once with ``llama_model_quantize`` into the model cache (``$BYZER_MODEL_CACHE``, shared with the
transformers backend's de-quantized copies) and serves that copy; later deploys reuse it.

Why: on a CPU without a batched kernel for the file's type (Q4_1 here), many rows decoded together
are compute-bound on the scalar dot products; ``f16`` holds Q4_1's values without loss of accuracy
on labelled questions and runs llama.cpp's tiled float kernels (measured on a 2-core VM: 8 rows/s
against 4.7 at 16 sequences), at the cost of a slower single stream (45 against 85 tokens/s) and 3x
the memory. ``docs/benchmarks.md`` has the figures of every type.
"""

from __future__ import annotations

import ctypes
import os
import tempfile
from pathlib import Path

from byzer_engine.lang.errors import ByzerError
from byzer_engine.llm.backends.llamacpp_model import import_llama_cpp
from byzer_engine.llm.model_loader import cache_root, source_digest

NATIVE = "native"
# llama.cpp's ``llama_ftype`` of each type a deploy may ask for, and the ``ggml_type`` its token
# embedding and output tensors keep (None: the quantizer's own choice for that file type).
_FILE_TYPES: dict[str, tuple[int, int | None]] = {
    "f32": (0, 0),
    "f16": (1, 1),
    "bf16": (32, 30),
    "q8_0": (7, None),
    "q4_0": (2, None),
}
CHOICES = (NATIVE, *_FILE_TYPES)


def weights_choice(raw: str | None) -> str:
    value = (raw or NATIVE).strip().lower()
    if value not in CHOICES:
        raise ByzerError(f"backend.weights must be one of {', '.join(CHOICES)}, got '{raw}'")
    return value


def _cache_path(source: Path, weights: str) -> Path:
    return cache_root() / f"{source.stem}-{weights}-{source_digest(source, weights)}.gguf"


def weights_file(source: Path, weights: str) -> Path:
    """The GGUF file to load for ``weights``: ``source`` itself, or its converted copy (made once;
    another process converting at the same time is harmless, the last rename wins)."""
    if weights == NATIVE:
        return source
    target = _cache_path(source, weights)
    if target.is_file():
        return target
    llama_cpp = import_llama_cpp()
    file_type, tensor_type = _FILE_TYPES[weights]
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = file_type
    params.allow_requantize = True
    params.nthread = os.cpu_count() or 1
    if tensor_type is not None:
        params.output_tensor_type = tensor_type
        params.token_embedding_type = tensor_type
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, staging = tempfile.mkstemp(prefix=target.name + ".", dir=target.parent)
        os.close(handle)
    except OSError as exc:
        raise ByzerError(
            f"cannot write the {weights} copy of {source.name} under {target.parent}: {exc}"
        ) from exc
    try:
        status = llama_cpp.llama_model_quantize(str(source).encode(), staging.encode(), ctypes.byref(params))
        if status != 0:
            raise ByzerError(f"llama.cpp could not convert {source.name} to {weights} (status {status})")
        os.replace(staging, target)
    finally:
        if os.path.exists(staging):
            os.unlink(staging)
    return target
