"""The backend registry: every ``Backend`` class with a ``name`` in a module of this package, plus the
``byzer_engine.backends`` entry points (see ``byzer_engine.plugins``).

- ``llamacpp``: llama.cpp on the CPU for GGUF files (the packaged model's default), batched decoding.
- ``ctranslate2``: CTranslate2's batched generator on int8 weights (converted once), for table-wide
  queries on a CPU.
- ``transformers``: any causal LM transformers can load (CPU or GPU), batched generate; the default
  for Hugging Face folders and LoRA adapters.
- ``vllm`` (also ``ray/vllm``): vLLM's offline engine on a GPU; ``backend.*`` keys are engine args.
- ``saas/openai``: any OpenAI-compatible chat-completions endpoint over HTTP.
- ``embedding``: sentence-embedding encoders (``custom/m3e``, ``custom/bge``).
- ``qa``: retrieval QA over an index built by ``LLMQABuilder``, using two deployed functions.

A backend declares how it is chosen (``serves_kinds``, ``infer_backend_names``) and what it needs
(``needs_gpu``, ``uses_local_compute``, ``loads_local_model``), so deploy never branches on names.
Backend modules import their heavy libraries (torch, vllm) inside the worker, not at module level.
"""

from __future__ import annotations

from typing import Any

from byzer_engine.lang.errors import ByzerError
from byzer_engine.llm.backends.base import Backend, BackendConfig
from byzer_engine.plugins import BrokenPlugin, PluginRegistry

# The ``infer_backend`` value that lets each model get the backend ranking it highest (``auto_rank``).
AUTO = "auto"
REGISTRY: PluginRegistry[Backend] = PluginRegistry("backends", Backend, ("byzer_engine.llm.backends",))


def _classes() -> list[type[Backend]]:
    return [entry.plugin for entry in REGISTRY.entries() if entry.plugin is not None]


def backend_class(name: str) -> type[Backend]:
    """The backend called ``name`` or one of its aliases; ``ByzerError`` listing the known ones."""
    try:
        found = REGISTRY.find(name)
    except BrokenPlugin as exc:
        raise ByzerError(str(exc)) from None
    if found is not None:
        return found
    for candidate in _classes():
        if name in candidate.aliases:
            return candidate
    known = sorted({n for c in _classes() for n in (c.name, *c.aliases)})
    raise ByzerError(f"unknown LLM backend '{name}'; known backends: {', '.join(known)}")


def canonical_backend(name: str) -> str:
    return backend_class(name).name


def backend_for(kind: str, infer_backend: str, location: Any = None) -> type[Backend]:
    """The backend serving a deploy of model ``kind`` (``causal``, ``saas``, ``embedding``, ``qa``),
    picked among those serving that kind by the ``infer_backend`` setting; ``auto`` picks the one
    ranking ``location`` (the model to load) highest."""
    serving = [c for c in _classes() if kind in c.serves_kinds]
    if infer_backend == AUTO and location is not None:
        ranked = [(rank, c.name, c) for c in serving if (rank := c.auto_rank(location)) is not None]
        if ranked:
            return max(ranked, key=lambda item: (item[0], item[1]))[2]
    for candidate in serving:
        if infer_backend in (candidate.name, *candidate.infer_backend_names):
            return candidate
    if len(serving) == 1:
        return serving[0]
    if not serving:
        raise ByzerError(f"no LLM backend serves models of kind '{kind}'")
    wanted = ", ".join(sorted(n for c in serving for n in c.infer_backend_names))
    raise ByzerError(f"infer_backend '{infer_backend}' cannot serve this model; use one of: {wanted}")


def infer_backend_names() -> tuple[str, ...]:
    """Every value ``!byzerllm setup "infer_backend=..."`` accepts (``auto``: chosen by the model)."""
    return tuple(sorted({AUTO, *(n for c in _classes() for n in c.infer_backend_names)}))


def create_backend(config: BackendConfig) -> Backend:
    return backend_class(config.backend)(config)


__all__ = [
    "AUTO",
    "REGISTRY",
    "Backend",
    "BackendConfig",
    "backend_class",
    "backend_for",
    "canonical_backend",
    "create_backend",
    "infer_backend_names",
]
