"""The ``llamacpp`` backend: llama.cpp on the CPU, reading a GGUF file's own quantized blocks, with
several sequences decoded in every forward pass (``llamacpp_decode``).

The default for a GGUF model (the packaged one included) when llama-cpp-python is installed; Hugging
Face folders and LoRA adapters stay on ``transformers``. ``backend.*`` deploy keys:
``backend.batch_size`` (sequences decoded together, default 16), ``backend.active_tokens`` (their prompts
and answer budgets in flight, default 2048: long prompts go one at a time), ``backend.n_ctx`` (the KV
cache they share, default 8192 tokens or the model's own context if smaller), ``backend.threads`` (CPU threads,
default: the worker's share of the cores, less one core left to Spark and Ray), ``backend.unified_kv`` (default true),
``backend.flash_attn`` (default false: with it, a row's logits depend slightly on its batch-mates) and
``backend.weights`` (default ``native``, the file's own blocks; ``f16``, ``bf16``, ``f32``, ``q8_0`` or
``q4_0`` compute with a copy converted once into the model cache: ``llamacpp_weights``).

Prompts use the chat template stored in the GGUF file, rendered as transformers renders it; greedy at
temperature 0, else temperature / top-k / top-p sampling (``generation.seed`` makes it repeatable).
A ``response_format`` is decoded under its JSON schema (llguidance over llama.cpp's vocabulary). A
request that cannot be served gets its own error; a batch that fails is retried one request at a time.
"""

from __future__ import annotations

import codecs
import importlib.util
import os
import queue
import threading
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from byzer_engine.booleans import parse_bool
from byzer_engine.lang.errors import ByzerError
from byzer_engine.llm.backends.base import (
    Backend,
    BackendConfig,
    check_prompt_fits,
    cut_stream,
    generate_isolating_failures,
)
from byzer_engine.llm.backends.chat_template import TemplateError, plain_transcript, render_chat
from byzer_engine.llm.backends.grammar import GrammarTokens
from byzer_engine.llm.backends.llamacpp_decode import BatchDecoder, Sequence
from byzer_engine.llm.backends.llamacpp_model import DEFAULT_CONTEXT, ContextSettings, LlamaModel
from byzer_engine.llm.backends.llamacpp_sampling import SchemaMask, check_extra, chooser
from byzer_engine.llm.backends.llamacpp_weights import weights_choice, weights_file
from byzer_engine.llm.backends.shared_prefix import prefix_groups
from byzer_engine.llm.packaged import ModelLocation, default_model
from byzer_engine.llm.requests import (
    LLMRequest,
    RequestError,
    chat_response,
    embedding_response,
    error_response,
)

DEFAULT_BATCH_SIZE = 16
DEFAULT_ACTIVE_TOKENS = 2048


def gguf_path(config: BackendConfig) -> tuple[Path, str]:
    """The GGUF file a deploy serves and its display name."""
    location = ModelLocation(config.model_dir, config.gguf_file) if config.model_dir else default_model()
    if not location.gguf_file:
        raise ByzerError(
            f"the llamacpp backend reads GGUF files and '{location.directory}' holds none; "
            'deploy it with !byzerllm setup "infer_backend=transformers"'
        )
    return Path(location.directory) / location.gguf_file, config.model_name or location.name


def _threads(config: BackendConfig) -> int:
    """``backend.threads`` when given; else the worker's share of the cores, less one core left to
    Spark and Ray: llama.cpp's threads spin at a barrier after every operation, so one of them
    descheduled by another process on its core stalls them all (measured: 2 threads on 2 busy cores
    decode ~10x slower than 1)."""
    if config.option("threads"):
        return config.positive("threads", 1)
    share = config.threads or os.cpu_count() or 1
    return max(1, min(share, (os.cpu_count() or 1) - 1))


def context_settings(config: BackendConfig) -> ContextSettings:
    return ContextSettings(
        n_ctx=config.positive("n_ctx", DEFAULT_CONTEXT),
        sequences=config.positive("batch_size", DEFAULT_BATCH_SIZE),
        threads=_threads(config),
        active_tokens=config.positive("active_tokens", DEFAULT_ACTIVE_TOKENS),
        unified_kv=parse_bool("backend.unified_kv", config.option("unified_kv"), True),
        flash_attn=1 if parse_bool("backend.flash_attn", config.option("flash_attn"), False) else 0,
    )


class _Prompt:
    __slots__ = ("ids", "index", "request", "seed")

    def __init__(self, index: int, request: LLMRequest, ids: list[int], seed: int | None) -> None:
        self.index = index
        self.request = request
        self.ids = ids
        self.seed = seed


class LlamaCppBackend(Backend):
    name = "llamacpp"
    aliases = ("llama.cpp", "llama_cpp")
    serves_kinds = ("causal",)
    infer_backend_names = ("llamacpp", "llama.cpp")
    embeds = True
    streams = True

    @classmethod
    def auto_rank(cls, location: ModelLocation) -> int | None:
        """First choice for a GGUF file when llama-cpp-python is installed."""
        if location.gguf_file and importlib.util.find_spec("llama_cpp") is not None:
            return 10
        return None

    def __init__(self, config: BackendConfig) -> None:
        super().__init__(config)
        path, self.model_name = gguf_path(config)
        self.settings = context_settings(config)
        self.weights = weights_choice(config.option("weights"))
        path = weights_file(path, self.weights)
        # ``prefixOrder`` (on by default) also groups a part's prompts by their own long prefixes.
        self.prefix_order = config.option("prefix_order", "true") != "false"
        self.model = LlamaModel(str(path), self.settings)
        self.context = self.model.n_ctx
        self.template = self.model.chat_template()
        self.bos_text = self.model.special_text(self.model.bos())
        self.eos_text = self.model.special_text(self.model.eos())
        self.decoder = BatchDecoder(self.model, self.settings.sequences, self.settings.active_tokens)
        self._lock = threading.Lock()
        self._grammar: GrammarTokens | None = None
        self._warm_up()

    def _warm_up(self) -> None:
        """A couple of tokens: pages the weights in and builds the compute graphs before the first query."""
        ids = self.model.tokenize("Hi") or [0]
        self.decoder.run([Sequence(prompt=ids, max_new=2, pick=lambda logits: int(np.argmax(logits)))])

    def describe(self) -> dict[str, Any]:
        return {
            "backend": self.name,
            "model": self.model_name,
            "device": "cpu",
            "context": self.context,
            "batch_size": self.settings.sequences,
            "active_tokens": self.decoder.active_tokens,
            "threads": self.settings.threads,
            "weights": self.weights,
        }

    # -- prompts -----------------------------------------------------------------------------------
    def prompt_text(self, request: LLMRequest) -> str:
        messages = request.messages()
        if not self.template:
            return plain_transcript(messages)
        try:
            return render_chat(self.template, messages, self.bos_text, self.eos_text)
        except TemplateError as exc:
            raise RequestError(str(exc)) from None

    def encode(self, index: int, request: LLMRequest) -> _Prompt:
        seed = check_extra(request.sampling)
        ids = self.model.tokenize(self.prompt_text(request))
        check_prompt_fits(ids, self.context)
        if request.sampling.response_schema is not None:
            try:
                self.grammar_tokens().grammar(request.sampling.response_schema)
            except ValueError as exc:
                raise RequestError(str(exc)) from None
        return _Prompt(index, request, ids, seed)

    def count_tokens(self, requests: list[LLMRequest]) -> list[int | None]:
        counts: list[int | None] = []
        with self._lock:
            for request in requests:
                try:
                    if request.embedding:
                        ids = self.model.tokenize(request.instruction) or [self.model.bos()]
                        counts.append(min(len(ids), self.model.embed_context))
                    else:
                        counts.append(len(self.model.tokenize(self.prompt_text(request))))
                except RequestError:
                    counts.append(None)
        return counts

    def grammar_tokens(self) -> GrammarTokens:
        if self._grammar is None:
            import llguidance.llamacpp

            eos = sorted(self.model.eog_ids)
            tokenizer = llguidance.llamacpp.lltokenizer_from_vocab(
                self.model.vocab, n_vocab=self.model.n_vocab, eos_token=eos or None
            )
            self._grammar = GrammarTokens.from_lltokenizer(tokenizer, self.model.n_vocab, set(eos))
        return self._grammar

    def _sequence(self, prompt: _Prompt) -> Sequence:
        sampling = prompt.request.sampling
        choose = chooser(sampling, np.random.default_rng(prompt.seed))
        pick: Any = choose
        accept = None
        if sampling.response_schema is not None:
            from llguidance import LLMatcher

            tokens = self.grammar_tokens()
            mask = SchemaMask(
                LLMatcher(tokens.tokenizer, tokens.grammar(sampling.response_schema), log_level=0),
                self.model.n_vocab,
            )
            pick, accept = mask.wrap(choose), mask.accept
        return Sequence(
            prompt=prompt.ids,
            max_new=max(1, min(sampling.max_new_tokens, self.context - len(prompt.ids))),
            pick=pick,
            stop=sampling.stop,
            accept=accept,
        )

    # -- generate ----------------------------------------------------------------------------------
    def generate(self, requests: list[LLMRequest]) -> list[dict[str, Any]]:
        responses: list[dict[str, Any] | None] = [None] * len(requests)
        prompts: list[_Prompt] = []
        embeds: list[int] = []
        with self._lock:
            for index, request in enumerate(requests):
                if request.embedding:
                    embeds.append(index)
                    continue
                try:
                    prompts.append(self.encode(index, request))
                except RequestError as exc:
                    responses[index] = error_response(request.raw, str(exc))
            if prompts:
                answers = generate_isolating_failures(prompts, partial(self._decode))
                for prompt, response in zip(prompts, answers, strict=True):
                    responses[prompt.index] = response
            for index, response in zip(embeds, self._embed([requests[i] for i in embeds]), strict=True):
                responses[index] = response
        return [
            r if r is not None else error_response(requests[i].raw, "no response")
            for i, r in enumerate(responses)
        ]

    def _decode(self, prompts: list[_Prompt]) -> list[dict[str, Any]]:
        work = [self._sequence(p) for p in prompts]
        started = time.perf_counter()
        prompts_ids = [sequence.prompt for sequence in work]
        groups = prefix_groups(prompts_ids) if self.prefix_order else [list(range(len(work)))]
        for group in groups:
            self.decoder.run([work[i] for i in group])
        elapsed = time.perf_counter() - started
        together = min(len(prompts), self.settings.sequences)
        responses = []
        for prompt, sequence in zip(prompts, work, strict=True):
            metadata = {
                "input_tokens": len(prompt.ids),
                "output_tokens": len(sequence.tokens),
                "finish_reason": sequence.finish or "length",
                "generation_time_s": round(elapsed, 4),
                "batch_size": together,
                "model": self.model_name,
                "backend": self.name,
            }
            responses.append(chat_response(prompt.request, sequence.answer().strip(), metadata))
        return responses

    # -- stream ------------------------------------------------------------------------------------
    def stream(self, request: LLMRequest) -> Iterator[str]:
        """The answer's text as it is decoded, token by token (cut at a stop sequence; the leading
        whitespace ``generate`` strips is not sent). A consumer that stops reading ends the decoding
        at its next step."""
        with self._lock:
            try:
                sequence = self._sequence(self.encode(0, request))
            except RequestError as exc:
                raise RuntimeError(str(exc)) from None
        pieces: queue.Queue[bytes | BaseException | None] = queue.Queue()
        abandoned = threading.Event()
        sent = 0

        def step() -> None:
            nonlocal sent
            if abandoned.is_set():
                raise _Abandoned
            if len(sequence.text) > sent:
                pieces.put(bytes(sequence.text[sent:]))
                sent = len(sequence.text)

        def run() -> None:
            try:
                with self._lock:
                    self.decoder.run([sequence], on_step=step)
                pieces.put(None)
            except _Abandoned:
                pieces.put(None)
            except BaseException as exc:
                pieces.put(exc)

        thread = threading.Thread(target=run, name="llamacpp-stream", daemon=True)
        thread.start()
        try:
            yield from cut_stream(_text_deltas(pieces), request.sampling.stop)
        finally:
            abandoned.set()

    # -- embed -------------------------------------------------------------------------------------
    def embed(self, requests: list[LLMRequest]) -> list[dict[str, Any]]:
        with self._lock:
            return self._embed(requests)

    def _embed(self, requests: list[LLMRequest]) -> list[dict[str, Any]]:
        """Mean-pooled, L2-normalised vectors of the model's last hidden states."""
        if not requests:
            return []
        limit = self.model.embed_context
        token_lists = [(self.model.tokenize(r.instruction) or [self.model.bos()])[:limit] for r in requests]
        vectors = self.model.embed(token_lists)
        return [
            embedding_response(r, v, {"input_tokens": len(ids), "dim": len(v), "model": self.model_name})
            for r, v, ids in zip(requests, vectors, token_lists, strict=True)
        ]

    def close(self) -> None:
        with self._lock:
            self.model.close()


class _Abandoned(Exception):
    """The stream's reader went away: the decoding stops."""


def _text_deltas(pieces: queue.Queue[bytes | BaseException | None]) -> Iterator[str]:
    """The text of each step's new bytes (whole UTF-8 characters only)."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="ignore")
    started = False
    while True:
        item = pieces.get()
        if item is None:
            break
        if isinstance(item, BaseException):
            raise RuntimeError(f"generation failed: {item}")
        delta = decoder.decode(item)
        if not started:
            delta = delta.lstrip()
            started = bool(delta)
        if delta:
            yield delta
    rest = decoder.decode(b"", final=True)
    if rest and started:
        yield rest
