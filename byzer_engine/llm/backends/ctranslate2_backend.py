"""The ``ctranslate2`` backend: CTranslate2's batched generator, on int8 weights by default, for
table-wide queries on a CPU (about three times the rows per second of the other CPU backends here;
see docs/benchmarks.md).

The model is converted once into the model cache (``ctranslate2_model``), from anything transformers
loads: the packaged GGUF model, a Hugging Face folder, or a LoRA adapter merged into its base.
``backend.*`` deploy keys: ``backend.compute_type`` (default ``int8``; ``int8_float32``, ``int16``,
``float32`` where the CPU has them), ``backend.batch_size`` (rows per call, default 64),
``backend.threads`` (default: the worker's share of the cores) and ``backend.replicas`` (CTranslate2's
``inter_threads``: the parts of a call's rows computed at once, each on ``threads / replicas``
threads; default 2 where there are 2 threads or more: on a small model two one-thread passes keep the
cores busier than one two-thread pass, measured in docs/benchmarks.md).

The chat template's fixed opening (the default system prompt) is computed once and shared by every
row that starts with it (CTranslate2's static prompt), after a check at deploy that it gives the
same answer as the full prompt. Greedy at temperature 0, else temperature / top-k / top-p sampling
(not repeatable: CTranslate2 draws in its own threads, which ``set_random_seed`` does not reach, so
``generation.seed`` is refused; ``generation.repetition_penalty`` and
``generation.no_repeat_ngram_size`` are passed on). It neither embeds nor decodes under a JSON
schema: those requests get an error naming the backends that do.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from typing import Any

from byzer_engine.lang.errors import ByzerError
from byzer_engine.llm.backends.base import (
    Backend,
    BackendConfig,
    TokenPrompt,
    chat_prompt,
    check_prompt_fits,
    cut_stream,
    generate_grouped,
)
from byzer_engine.llm.backends.ctranslate2_model import check_compute_type, converted_model
from byzer_engine.llm.packaged import ModelLocation, default_model
from byzer_engine.llm.requests import (
    LLMRequest,
    RequestError,
    Sampling,
    chat_response,
    error_response,
    truncate_at_stop,
)

DEFAULT_BATCH_SIZE = 64
DEFAULT_COMPUTE_TYPE = "int8"
DEFAULT_REPLICAS = 2
# ``generation.*`` request keys passed on to ``generate_batch``, with their types.
EXTRA = {"repetition_penalty": float, "no_repeat_ngram_size": int}
OTHER_BACKENDS = 'deploy with !byzerllm setup "infer_backend=llamacpp" (or transformers)'


def _extra(sampling: Sampling) -> dict[str, Any]:
    """The request's ``generation.*`` keys this backend honours; RequestError naming any other."""
    out: dict[str, Any] = {}
    for key, value in sampling.extra:
        kind = EXTRA.get(key)
        if kind is None:
            raise RequestError(
                f"request field 'generation.{key}' is not supported by the ctranslate2 backend "
                f"(supported: {', '.join('generation.' + k for k in EXTRA)})"
            )
        try:
            out[key] = kind(value)
        except (TypeError, ValueError):
            raise RequestError(f"request field 'generation.{key}' must be a number, got {value!r}") from None
    return out


class CTranslate2Backend(Backend):
    name = "ctranslate2"
    aliases = ("ct2",)
    serves_kinds = ("causal",)
    infer_backend_names = ("ctranslate2", "ct2")
    streams = True

    def __init__(self, config: BackendConfig) -> None:
        import ctranslate2
        from transformers import AutoTokenizer

        super().__init__(config)
        location = ModelLocation(config.model_dir, config.gguf_file) if config.model_dir else default_model()
        self.model_name = config.model_name or location.name
        self.device = "cuda" if config.num_gpus > 0 else "cpu"
        self.compute_type = check_compute_type(
            str(config.option("compute_type") or DEFAULT_COMPUTE_TYPE), self.device
        )
        self.batch_size = config.positive("batch_size", DEFAULT_BATCH_SIZE)
        self.threads = config.positive("threads", config.threads or os.cpu_count() or 1)
        self.replicas = config.positive("replicas", min(self.threads, DEFAULT_REPLICAS))
        if self.replicas > self.threads:
            raise ByzerError(
                f"backend.replicas ({self.replicas}) must be at most backend.threads ({self.threads}): "
                "each replica computes on threads / replicas threads"
            )
        self.prefix_order = config.option("prefix_order", "true") != "false"
        model = converted_model(location, self.compute_type)
        self.context = model.context
        self.end_tokens = list(model.end_tokens)
        self.tokenizer = AutoTokenizer.from_pretrained(str(model.directory))
        self.generator = ctranslate2.Generator(
            str(model.directory),
            device=self.device,
            compute_type=self.compute_type,
            intra_threads=self.threads // self.replicas,
            inter_threads=self.replicas,
        )
        self._lock = threading.Lock()
        self.template_prefix = self._template_prefix()

    def _template_prefix(self) -> list[int]:
        """The token ids every chat prompt without a system message starts with, if computing them
        once gives the same answer as the whole prompt (checked here, which also warms the model up)."""
        first, second = (self.encode(0, LLMRequest(raw={}, instruction=text)).ids for text in ("A", "Z?"))
        size = next((i for i, (a, b) in enumerate(zip(first, second, strict=False)) if a != b), 0)
        if size < 2:
            return []
        probe = self.encode(0, LLMRequest(raw={}, instruction="Hi")).ids
        options = self._options(Sampling(max_new_tokens=4), len(probe))
        whole = self._run([probe], [], options)
        shared = self._run([probe], first[:size], options)
        return first[:size] if whole == shared else []

    def describe(self) -> dict[str, Any]:
        return {
            "backend": self.name,
            "model": self.model_name,
            "device": self.device,
            "context": self.context,
            "compute_type": self.compute_type,
            "batch_size": self.batch_size,
            "threads": self.threads,
            "replicas": self.replicas,
            "shared_prefix_tokens": len(self.template_prefix),
        }

    # -- prompts -----------------------------------------------------------------------------------
    def prompt_text(self, request: LLMRequest) -> str:
        return chat_prompt(self.tokenizer, request)

    def encode(self, index: int, request: LLMRequest) -> TokenPrompt:
        if request.embedding:
            raise RequestError(f"the ctranslate2 backend does not embed; {OTHER_BACKENDS}")
        if request.sampling.response_schema is not None:
            raise RequestError(
                f"the ctranslate2 backend cannot decode under a JSON schema (response_format); {OTHER_BACKENDS}"
            )
        _extra(request.sampling)
        ids: list[int] = self.tokenizer(self.prompt_text(request), add_special_tokens=False)["input_ids"]
        check_prompt_fits(ids, self.context)
        return TokenPrompt(index, request, ids)

    def count_tokens(self, requests: list[LLMRequest]) -> list[int | None]:
        counts: list[int | None] = []
        for request in requests:
            try:
                counts.append(len(self.encode(0, request).ids))
            except RequestError:
                counts.append(None)
        return counts

    # -- generate ----------------------------------------------------------------------------------
    def generate(self, requests: list[LLMRequest]) -> list[dict[str, Any]]:
        with self._lock:
            responses = generate_grouped(
                requests,
                self.encode,
                self._chunk,
                self.batch_size,
                (lambda p: p.ids) if self.prefix_order else (lambda p: len(p.ids)),
            )
        return [
            r if r is not None else error_response(requests[i].raw, "no response")
            for i, r in enumerate(responses)
        ]

    def _shared(self, prompts: list[list[int]]) -> list[int]:
        prefix = self.template_prefix
        size = len(prefix)
        if size and all(len(ids) > size and ids[:size] == prefix for ids in prompts):
            return prefix
        return []

    def _options(self, sampling: Sampling, longest: int) -> dict[str, Any]:
        extra = _extra(sampling)
        options: dict[str, Any] = {
            "max_length": max(1, min(sampling.max_new_tokens, self.context - longest)),
            "include_prompt_in_result": False,
            "end_token": self.end_tokens,
            "repetition_penalty": float(extra.get("repetition_penalty", 1.0)),
            "no_repeat_ngram_size": int(extra.get("no_repeat_ngram_size", 0)),
        }
        if sampling.greedy:
            options["sampling_topk"] = 1
        else:
            options.update(
                sampling_temperature=float(sampling.temperature),
                sampling_topk=int(sampling.top_k or 0),  # 0: the whole vocabulary
                sampling_topp=float(sampling.top_p if sampling.top_p is not None else 1.0),
            )
        return options

    def _run(self, prompts: list[list[int]], shared: list[int], options: dict[str, Any]) -> list[list[int]]:
        tokens = [self.tokenizer.convert_ids_to_tokens(ids[len(shared) :]) for ids in prompts]
        kwargs = (
            {**options, "static_prompt": self.tokenizer.convert_ids_to_tokens(shared)} if shared else options
        )
        # One part of the rows for each replica, computed at once.
        part = -(-len(tokens) // self.replicas)
        results = self.generator.generate_batch(tokens, max_batch_size=part, **kwargs)
        return [list(result.sequences_ids[0]) for result in results]

    def _chunk(self, chunk: list[TokenPrompt], sampling: Sampling) -> list[dict[str, Any]]:
        started = time.perf_counter()
        ids = [p.ids for p in chunk]
        shared = self._shared(ids)
        options = self._options(sampling, max(len(i) for i in ids))
        outputs = self._run(ids, shared, options)
        elapsed = time.perf_counter() - started
        limit = options["max_length"]
        responses = []
        for prompt, tokens in zip(chunk, outputs, strict=True):
            text = str(self.tokenizer.decode(tokens, skip_special_tokens=True))
            text, stopped = truncate_at_stop(text, sampling.stop)
            metadata = {
                "input_tokens": len(prompt.ids),
                "output_tokens": len(tokens),
                "finish_reason": "stop" if stopped or len(tokens) < limit else "length",
                "generation_time_s": round(elapsed, 4),
                "batch_size": len(chunk),
                "shared_prefix_tokens": len(shared),
                "model": self.model_name,
                "backend": self.name,
            }
            responses.append(chat_response(prompt.request, text.strip(), metadata))
        return responses

    # -- stream ------------------------------------------------------------------------------------
    def stream(self, request: LLMRequest) -> Iterator[str]:
        """The answer's text token by token (whole characters only, cut at a stop sequence)."""
        try:
            prompt = self.encode(0, request)
        except RequestError as exc:
            raise RuntimeError(str(exc)) from None
        shared = self._shared([prompt.ids])
        options = self._options(request.sampling, len(prompt.ids))
        options.pop("include_prompt_in_result")
        if shared:
            options["static_prompt"] = self.tokenizer.convert_ids_to_tokens(shared)
        yield from cut_stream(self._deltas(prompt.ids[len(shared) :], options), request.sampling.stop)

    def _deltas(self, ids: list[int], options: dict[str, Any]) -> Iterator[str]:
        tokens: list[int] = []
        sent = ""
        with self._lock:
            steps = self.generator.generate_tokens(self.tokenizer.convert_ids_to_tokens(ids), **options)
            for step in steps:
                tokens.append(int(step.token_id))
                text = str(self.tokenizer.decode(tokens, skip_special_tokens=True)).lstrip()
                if text.endswith("\ufffd"):
                    continue  # half a character: wait for the rest
                if len(text) > len(sent):
                    yield text[len(sent) :]
                    sent = text

    def close(self) -> None:
        with self._lock:
            self.generator.unload_model()
