"""The ``vllm`` backend: vLLM's offline engine (``vllm.LLM``) on the GPU share Ray reserved for the worker.

``backend.*`` deploy keys are vLLM engine arguments, typed by ``engine_args``: ``backend.max_model_len
="4096"``, ``backend.gpu_memory_utilization="0.5"``, ``backend.tensor_parallel_size="2"``,
``backend.dtype="half"``, ``backend.tokenizer="..."`` (a Hugging Face tokenizer for a GGUF file) ...
A worker with a fraction of a GPU (``num_gpus=0.5``) claims that fraction of its memory unless
``backend.gpu_memory_utilization`` says otherwise. The model is ``localModelDir`` (a folder, or its
GGUF file), else the packaged default model.

Prompts are built with the tokenizer's chat template and tokenized here, so a prompt longer than the
model's context fails only its own row. A batch is one ``llm.generate`` call with one
``SamplingParams`` per prompt (shared by requests with the same settings; greedy at temperature 0);
a call that fails is retried one request at a time, so only the offending request gets an error.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from byzer_engine.lang.errors import ByzerError
from byzer_engine.llm.backends.base import (
    Backend,
    BackendConfig,
    chat_prompt,
    check_prompt_fits,
    generate_isolating_failures,
)
from byzer_engine.llm.model_loader import is_adapter
from byzer_engine.llm.packaged import ModelLocation, default_model
from byzer_engine.llm.requests import (
    LLMRequest,
    RequestError,
    Sampling,
    chat_response,
    embedding_response,
    error_response,
    truncate_at_stop,
)

MISSING_VLLM = (
    "the vllm backend needs vLLM, which is not installed: pip install 'byzer-engine[gpu]' "
    '(it runs on a CUDA GPU); or deploy with !byzerllm setup "infer_backend=transformers";'
)
# backend.* keys the engine itself reads (deploy.py's CPU threads); never passed to vllm.LLM.
NOT_ENGINE_ARGS = frozenset({"threads", "batch_size"})
FULL_GPU_MEMORY_SHARE = 0.9
DEFAULT_CONTEXT = 2048
_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")


def structured_output_kwargs(schema: dict[str, Any], params_module: Any) -> dict[str, Any]:
    """The SamplingParams keywords that make vLLM decode under a JSON schema: ``structured_outputs``
    (vLLM >= 0.10.2) or, in older releases, ``guided_decoding``."""
    current = getattr(params_module, "StructuredOutputsParams", None)
    if current is not None:
        return {"structured_outputs": current(json=schema)}
    older = getattr(params_module, "GuidedDecodingParams", None)
    if older is not None:
        return {"guided_decoding": older(json=schema)}
    raise RequestError("this vLLM has no guided decoding, so response_format cannot be served")


def engine_value(text: str) -> Any:
    """A ``backend.*`` string as the value vLLM expects: bool, int, float, JSON object/list, or text."""
    value = text.strip()
    lowered = value.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if _INT.match(value):
        return int(value)
    if _FLOAT.match(value):
        return float(value)
    if value.startswith(("{", "[")):
        try:
            return json.loads(value)
        except ValueError:
            return text
    return text


def engine_args(options: Mapping[str, str]) -> dict[str, Any]:
    """``backend.*`` options (prefix already removed) as ``vllm.LLM`` keyword arguments."""
    args: dict[str, Any] = {}
    for key, raw in options.items():
        name = key.strip().replace("-", "_")
        if name in NOT_ENGINE_ARGS:
            continue
        args[name] = engine_value(raw) if isinstance(raw, str) else raw
    return args


def model_path(config: BackendConfig) -> tuple[str, str]:
    """What ``vllm.LLM(model=...)`` loads (a folder or a GGUF file) and the model's display name."""
    location = ModelLocation(config.model_dir, config.gguf_file) if config.model_dir else default_model()
    if is_adapter(location):
        raise ByzerError(
            f"'{location.directory}' is a LoRA adapter; the vllm backend serves full models: merge it first "
            '(action="merge") or deploy it with infer_backend=transformers'
        )
    path = str(Path(location.directory) / location.gguf_file) if location.gguf_file else location.directory
    return path, config.model_name or location.name


def build_engine_args(config: BackendConfig) -> dict[str, Any]:
    """The keyword arguments of ``vllm.LLM`` for a deploy: the model, a GPU-share default, backend.*."""
    path, _ = model_path(config)
    args: dict[str, Any] = {"model": path}
    if 0 < config.num_gpus < 1:
        args["gpu_memory_utilization"] = round(FULL_GPU_MEMORY_SHARE * config.num_gpus, 3)
    args.update(engine_args(config.options))
    return args


class _Prompt:
    __slots__ = ("ids", "index", "params", "request")

    def __init__(self, index: int, request: LLMRequest, ids: list[int], params: Any) -> None:
        self.index = index
        self.request = request
        self.ids = ids
        self.params = params


class VLLMBackend(Backend):
    name = "vllm"
    aliases = ("ray/vllm",)
    serves_kinds = ("causal",)
    infer_backend_names = ("vllm", "ray/vllm")
    needs_gpu = True
    embeds = True

    def __init__(self, config: BackendConfig) -> None:
        try:
            import vllm
        except ImportError as exc:
            raise ByzerError(f"{MISSING_VLLM} ({exc})") from exc
        self.engine_args = build_engine_args(config)
        _, self.model_name = model_path(config)
        self._sampling_params_class = vllm.SamplingParams
        self._params_module: Any = importlib.import_module("vllm.sampling_params")
        self.llm = vllm.LLM(**self.engine_args)
        self.tokenizer = self.llm.get_tokenizer()
        self.context = _max_model_len(self.llm, self.engine_args, self.tokenizer)
        self._params_cache: dict[tuple[Sampling, int], Any] = {}

    def describe(self) -> dict[str, Any]:
        return {
            "backend": self.name,
            "model": self.model_name,
            "device": "cuda",
            "context": self.context,
            "engine_args": {k: v for k, v in self.engine_args.items() if k != "model"},
        }

    # -- prompts -----------------------------------------------------------------------------------
    def encode(self, request: LLMRequest) -> list[int]:
        ids: list[int] = list(
            self.tokenizer.encode(chat_prompt(self.tokenizer, request), add_special_tokens=False)
        )
        check_prompt_fits(ids, self.context)
        return ids

    def sampling_params(self, sampling: Sampling, prompt_tokens: int) -> Any:
        """One SamplingParams per distinct settings and room left in the context (built once)."""
        max_tokens = max(1, min(sampling.max_new_tokens, self.context - prompt_tokens))
        key = (sampling, max_tokens)
        cached = self._params_cache.get(key)
        if cached is not None:
            return cached
        kwargs: dict[str, Any] = {"n": 1, "max_tokens": max_tokens}
        if sampling.greedy:
            kwargs["temperature"] = 0.0
        else:
            kwargs["temperature"] = sampling.temperature
            if sampling.top_p is not None:
                kwargs["top_p"] = sampling.top_p
            if sampling.top_k is not None:
                kwargs["top_k"] = sampling.top_k
        if sampling.stop:
            kwargs["stop"] = list(sampling.stop)
        kwargs.update(dict(sampling.extra))
        if sampling.response_schema is not None:
            kwargs.update(structured_output_kwargs(json.loads(sampling.response_schema), self._params_module))
        try:
            params = self._sampling_params_class(**kwargs)
        except (TypeError, ValueError) as exc:
            raise RequestError(f"vLLM rejected the generation settings: {exc}") from None
        if len(self._params_cache) < 1024:
            self._params_cache[key] = params
        return params

    # -- generate ----------------------------------------------------------------------------------
    def generate(self, requests: list[LLMRequest]) -> list[dict[str, Any]]:
        responses: list[dict[str, Any] | None] = [None] * len(requests)
        prompts: list[_Prompt] = []
        embeds: list[int] = []
        for index, request in enumerate(requests):
            if request.embedding:
                embeds.append(index)
                continue
            try:
                ids = self.encode(request)
                prompts.append(_Prompt(index, request, ids, self.sampling_params(request.sampling, len(ids))))
            except RequestError as exc:
                responses[index] = error_response(request.raw, str(exc))
            except Exception as exc:
                responses[index] = error_response(
                    request.raw, f"the prompt failed: {type(exc).__name__}: {exc}"
                )
        if prompts:
            answers = generate_isolating_failures(prompts, self._generate_batch)
            for prompt, response in zip(prompts, answers, strict=True):
                responses[prompt.index] = response
        for index, response in zip(embeds, self.embed([requests[i] for i in embeds]), strict=True):
            responses[index] = response
        return [
            r if r is not None else error_response(requests[i].raw, "no response")
            for i, r in enumerate(responses)
        ]

    def _generate_batch(self, prompts: list[_Prompt]) -> list[dict[str, Any]]:
        started = time.perf_counter()
        outputs = self.llm.generate(
            [{"prompt_token_ids": p.ids} for p in prompts], [p.params for p in prompts], use_tqdm=False
        )
        elapsed = time.perf_counter() - started
        responses = []
        for prompt, output in zip(prompts, outputs, strict=True):
            completion = output.outputs[0]
            text, stopped = truncate_at_stop(completion.text, prompt.request.sampling.stop)
            metadata = {
                "input_tokens": len(prompt.ids),
                "output_tokens": len(completion.token_ids),
                "finish_reason": "stop" if stopped else (completion.finish_reason or "stop"),
                "generation_time_s": round(elapsed, 4),
                "batch_size": len(prompts),
                "model": self.model_name,
                "backend": self.name,
            }
            responses.append(chat_response(prompt.request, text.strip(), metadata))
        return responses

    # -- embed -------------------------------------------------------------------------------------
    def embed(self, requests: list[LLMRequest]) -> list[dict[str, Any]]:
        """Vectors from a pooling model (vLLM serves them only for a model run as one)."""
        if not requests:
            return []
        try:
            outputs = self.llm.embed([r.instruction for r in requests], use_tqdm=False)
            vectors = [[float(v) for v in o.outputs.embedding] for o in outputs]
        except Exception as exc:
            message = (
                f"embedding failed: {type(exc).__name__}: {exc} (vLLM embeds with a pooling model: "
                'backend.runner="pooling", or backend.task="embed" on older vLLM)'
            )
            return [error_response(r.raw, message) for r in requests]
        return [
            embedding_response(
                r, v, {"input_tokens": len(o.prompt_token_ids or []), "dim": len(v), "model": self.model_name}
            )
            for r, v, o in zip(requests, vectors, outputs, strict=True)
        ]

    def close(self) -> None:
        llm = self.__dict__.pop("llm", None)
        if llm is None:
            return
        engine_core = getattr(getattr(llm, "llm_engine", None), "engine_core", None)
        shutdown = getattr(engine_core, "shutdown", None)
        if callable(shutdown):
            with contextlib.suppress(Exception):
                shutdown()
        del llm
        with contextlib.suppress(Exception):
            from vllm.distributed.parallel_state import (
                destroy_distributed_environment,
                destroy_model_parallel,
            )

            destroy_model_parallel()
            destroy_distributed_environment()
        gc.collect()
        with contextlib.suppress(Exception):
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()


def _max_model_len(llm: Any, args: Mapping[str, Any], tokenizer: Any) -> int:
    engine = getattr(llm, "llm_engine", None)
    for config in (
        getattr(engine, "model_config", None),
        getattr(getattr(engine, "vllm_config", None), "model_config", None),
    ):
        value = getattr(config, "max_model_len", None)
        if isinstance(value, int) and value > 0:
            return value
    configured = args.get("max_model_len")
    if isinstance(configured, int) and configured > 0:
        return configured
    limit = getattr(tokenizer, "model_max_length", 0)
    return limit if isinstance(limit, int) and 0 < limit < 1_000_000 else DEFAULT_CONTEXT
