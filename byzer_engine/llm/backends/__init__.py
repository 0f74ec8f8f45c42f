"""The backend registry: a name -> the class serving it, imported only when a worker builds one.

- ``transformers``: any causal LM transformers can load (CPU or GPU), batched generate.
- ``vllm`` (also ``ray/vllm``): vLLM's offline engine on a GPU; ``backend.*`` keys are engine args.
- ``saas/openai``: any OpenAI-compatible chat-completions endpoint over HTTP.
- ``embedding``: sentence-embedding encoders (``custom/m3e``, ``custom/bge``).
- ``qa``: retrieval QA over an index built by ``LLMQABuilder``, using two deployed functions.
"""

from __future__ import annotations

import importlib

from byzer_engine.lang.errors import ByzerError
from byzer_engine.llm.backends.base import Backend, BackendConfig

BACKENDS: dict[str, str] = {
    "transformers": "byzer_engine.llm.backends.hf:TransformersBackend",
    "vllm": "byzer_engine.llm.backends.vllm_backend:VLLMBackend",
    "saas/openai": "byzer_engine.llm.backends.openai_backend:OpenAIBackend",
    "embedding": "byzer_engine.llm.backends.embedding:EmbeddingBackend",
    "qa": "byzer_engine.llm.backends.qa:QABackend",
}
ALIASES: dict[str, str] = {"ray/vllm": "vllm", "saas": "saas/openai", "hf": "transformers"}


def canonical_backend(name: str) -> str:
    key = ALIASES.get(name, name)
    if key not in BACKENDS:
        known = ", ".join(sorted(set(BACKENDS) | set(ALIASES)))
        raise ByzerError(f"unknown LLM backend '{name}'; known backends: {known}")
    return key


def create_backend(config: BackendConfig) -> Backend:
    module_name, class_name = BACKENDS[canonical_backend(config.backend)].split(":")
    backend_class = getattr(importlib.import_module(module_name), class_name)
    backend: Backend = backend_class(config)
    return backend


__all__ = ["BACKENDS", "Backend", "BackendConfig", "canonical_backend", "create_backend"]
