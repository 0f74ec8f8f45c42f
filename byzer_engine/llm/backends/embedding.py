"""The embedding backend (``custom/m3e``, ``custom/bge``): every request's instruction becomes a vector.

``localModelDir`` is an encoder transformers loads with ``AutoModel`` + ``AutoTokenizer``; a GGUF file
or a LoRA adapter folder is loaded as a causal LM, and with no folder the packaged default model is
used, so embeddings work offline. The vector is the mean of the last hidden states over the attention
mask, L2-normalised. Texts are sorted by length and run ``backend.batch_size`` at a time (default 16),
truncated at ``backend.max_length`` tokens (default: the model's limit, at most 512). A batch that fails
is retried one text at a time, so only the offending request gets an error.
"""

from __future__ import annotations

from typing import Any

from byzer_engine.lang.errors import ByzerError
from byzer_engine.llm.backends.base import Backend, BackendConfig
from byzer_engine.llm.backends.hf import model_location
from byzer_engine.llm.backends.torch_device import pick_device, set_cpu_threads
from byzer_engine.llm.model_loader import is_adapter, load_model_and_tokenizer
from byzer_engine.llm.requests import LLMRequest, embedding_response, error_response

DEFAULT_BATCH_SIZE = 16
DEFAULT_MAX_LENGTH = 512


def _load_encoder(directory: str, device: str) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    try:
        tokenizer = AutoTokenizer.from_pretrained(directory)
        model = AutoModel.from_pretrained(directory, dtype=torch.float32 if device == "cpu" else "auto")
    except (OSError, ValueError, KeyError) as exc:
        raise ByzerError(f"cannot load an embedding model from '{directory}': {exc}") from exc
    model.to(device)
    model.eval()
    return model, tokenizer


def _model_limit(model: Any, tokenizer: Any) -> int:
    limits = [DEFAULT_MAX_LENGTH]
    positions = getattr(getattr(model, "config", None), "max_position_embeddings", None)
    if isinstance(positions, int) and positions > 0:
        limits.append(positions)
    declared = getattr(tokenizer, "model_max_length", None)
    if isinstance(declared, int) and 0 < declared < 1_000_000:
        limits.append(declared)
    return min(limits)


class EmbeddingBackend(Backend):
    name = "embedding"
    serves_kinds = ("embedding",)
    embeds = True

    def __init__(self, config: BackendConfig) -> None:
        self.device = pick_device(config.num_gpus)
        set_cpu_threads(self.device, config.threads)
        location = model_location(config)
        self.model_name = config.model_name or location.name
        if location.gguf_file is not None or is_adapter(location):
            causal, self.tokenizer = load_model_and_tokenizer(
                location, device=self.device, merge_adapter=True
            )
            # The transformer under the language-model head: its hidden states are what gets pooled.
            self.model = getattr(causal, "base_model", causal)
        else:
            self.model, self.tokenizer = _load_encoder(location.directory, self.device)
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token or self.tokenizer.unk_token
        self.tokenizer.padding_side = "right"
        self.batch_size = config.positive("batch_size", DEFAULT_BATCH_SIZE)
        self.max_length = config.positive("max_length", _model_limit(self.model, self.tokenizer))
        self.dim = len(self._vectors(["warm up"])[0][0])

    def describe(self) -> dict[str, Any]:
        return {
            "backend": self.name,
            "model": self.model_name,
            "device": self.device,
            "dim": self.dim,
            "max_length": self.max_length,
            "batch_size": self.batch_size,
        }

    def _vectors(self, texts: list[str]) -> tuple[list[list[float]], list[int]]:
        """Unit vectors of ``texts`` (one forward pass) and the number of tokens each was read as."""
        import torch

        batch = self.tokenizer(
            texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt"
        )
        batch = {k: v.to(self.device) for k, v in batch.items() if k in ("input_ids", "attention_mask")}
        with torch.inference_mode():
            hidden = self.model(**batch).last_hidden_state
        keep = batch["attention_mask"].unsqueeze(-1).bool()
        # masked_fill, not a product: a padding position's state may be NaN, and NaN * 0 is NaN.
        summed = hidden.masked_fill(~keep, 0.0).sum(dim=1)
        pooled = summed / keep.sum(dim=1).clamp(min=1).to(hidden.dtype)
        vectors: list[list[float]] = torch.nn.functional.normalize(pooled.float(), dim=-1).tolist()
        counts: list[int] = [int(n) for n in batch["attention_mask"].sum(dim=1).tolist()]
        return vectors, counts

    def _embed_isolated(self, requests: list[LLMRequest]) -> list[dict[str, Any]]:
        try:
            vectors, counts = self._vectors([r.instruction for r in requests])
        except Exception as exc:
            if len(requests) == 1:
                return [error_response(requests[0].raw, f"embedding failed: {exc}")]
            return [r for request in requests for r in self._embed_isolated([request])]
        return [
            embedding_response(
                request,
                vector,
                {"input_tokens": count, "dim": len(vector), "model": self.model_name, "backend": self.name},
            )
            for request, vector, count in zip(requests, vectors, counts, strict=True)
        ]

    def generate(self, requests: list[LLMRequest]) -> list[dict[str, Any]]:
        responses: list[dict[str, Any] | None] = [None] * len(requests)
        pending: list[int] = []
        for index, request in enumerate(requests):
            if request.instruction.strip():
                pending.append(index)
            else:
                responses[index] = error_response(request.raw, "nothing to embed: the instruction is empty")
        pending.sort(key=lambda i: len(requests[i].instruction))
        for start in range(0, len(pending), self.batch_size):
            part = pending[start : start + self.batch_size]
            for index, response in zip(part, self._embed_isolated([requests[i] for i in part]), strict=True):
                responses[index] = response
        return [r if r is not None else error_response({}, "no response") for r in responses]

    def close(self) -> None:
        self.model = None
