"""The transformers backend: batched ``generate`` with left padding and the model's chat template.

Requests are grouped by their generation settings (one ``generate`` call takes one set), sorted by
prompt length so a batch pads little, and run ``backend.batch_size`` at a time (default 32). Greedy
decoding unless a temperature above 0 is asked for. A batch that fails is retried one request at a
time, so only the offending request gets an error. A request with a ``response_format`` is decoded
under its JSON schema (``backends.grammar``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

from byzer_engine.llm.backends.base import (
    Backend,
    BackendConfig,
    TokenPrompt,
    chat_prompt,
    check_prompt_fits,
    cut_stream,
    generate_grouped,
)
from byzer_engine.llm.backends.grammar import GrammarTokens
from byzer_engine.llm.backends.shared_prefix import prefix_groups, prefixed_batch
from byzer_engine.llm.backends.torch_device import pick_device, set_cpu_threads
from byzer_engine.llm.model_loader import context_length, eos_ids, load_model_and_tokenizer
from byzer_engine.llm.packaged import ModelLocation, default_model
from byzer_engine.llm.requests import (
    LLMRequest,
    Sampling,
    chat_response,
    embedding_response,
    error_response,
    truncate_at_stop,
)

# Measured on the 2-core VM over 100 short questions (rows/s): 3.08 at 8, 4.44 at 32, 6.28 at 100;
# 32 keeps most of the gain while a batch of mixed lengths pads to its longest prompt.
DEFAULT_BATCH_SIZE = 32


def model_location(config: BackendConfig) -> ModelLocation:
    if config.model_dir:
        return ModelLocation(config.model_dir, config.gguf_file)
    return default_model()


class TransformersBackend(Backend):
    name = "transformers"
    aliases = ("hf",)
    serves_kinds = ("causal",)
    infer_backend_names = ("transformers",)
    streams = True
    embeds = True

    @classmethod
    def auto_rank(cls, location: ModelLocation) -> int | None:
        """Serves any model transformers loads (folders, adapters, GGUF): the fallback choice."""
        return 0

    def __init__(self, config: BackendConfig) -> None:
        self.device = pick_device(config.num_gpus)
        set_cpu_threads(self.device, config.threads)
        location = model_location(config)
        self.model_name = config.model_name or location.name
        self.model, self.tokenizer = load_model_and_tokenizer(
            location, device=self.device, merge_adapter=True
        )
        self.tokenizer.padding_side = "left"
        self.batch_size = max(
            1, int(config.option("batch_size", str(DEFAULT_BATCH_SIZE)) or DEFAULT_BATCH_SIZE)
        )
        # Sort a batch by token ids (rows sharing a prefix adjacent, their KV computed once; see
        # ``shared_prefix``) rather than by length; ``prefixOrder="false"`` keeps the length sort.
        self.prefix_order = config.option("prefix_order", "true") != "false"
        self.context = context_length(self.model, self.tokenizer)
        self.eos_ids = eos_ids(self.model, self.tokenizer)
        self._grammar: GrammarTokens | None = None
        self._warm_up()

    def _warm_up(self) -> None:
        """One token of generation: pages the weights in and builds the kernels before the first query."""
        import torch

        ids = torch.tensor(
            [self.tokenizer("Hi", add_special_tokens=False)["input_ids"] or [0]], device=self.device
        )
        with torch.inference_mode():
            self.model.generate(
                input_ids=ids,
                attention_mask=torch.ones_like(ids),
                max_new_tokens=1,
                do_sample=False,
                pad_token_id=self.tokenizer.pad_token_id,
            )

    def describe(self) -> dict[str, Any]:
        return {
            "backend": self.name,
            "model": self.model_name,
            "device": self.device,
            "context": self.context,
            "batch_size": self.batch_size,
        }

    def constrain(self, kwargs: dict[str, Any], sampling: Sampling, rows: int, prompt_length: int) -> Any:
        """Adds the schema's logits processor to ``kwargs`` (structured requests); returns it."""
        if sampling.response_schema is None:
            return None
        from transformers import LogitsProcessorList

        if self._grammar is None:
            vocab = int(getattr(self.model.config, "vocab_size", 0) or len(self.tokenizer))
            self._grammar = GrammarTokens(self.tokenizer, vocab, self.eos_ids)
        processor = self._grammar.processor(sampling.response_schema, rows, prompt_length)
        kwargs["logits_processor"] = LogitsProcessorList([processor])
        return processor

    # -- prompts ---------------------------------------------------------------------------------
    def prompt_text(self, request: LLMRequest) -> str:
        return chat_prompt(self.tokenizer, request)

    def encode(self, index: int, request: LLMRequest) -> TokenPrompt:
        ids: list[int] = self.tokenizer(self.prompt_text(request), add_special_tokens=False)["input_ids"]
        check_prompt_fits(ids, self.context)
        return TokenPrompt(index, request, ids)

    def count_tokens(self, requests: list[LLMRequest]) -> list[int | None]:
        counts: list[int | None] = []
        for request in requests:
            if request.embedding:
                ids = self.tokenizer(request.instruction, truncation=True, max_length=self.context)[
                    "input_ids"
                ]
            else:
                ids = self.tokenizer(self.prompt_text(request), add_special_tokens=False)["input_ids"]
            counts.append(len(ids))
        return counts

    # -- generate ----------------------------------------------------------------------------------
    def generate(self, requests: list[LLMRequest]) -> list[dict[str, Any]]:
        def encode(index: int, request: LLMRequest) -> TokenPrompt | None:
            return None if request.embedding else self.encode(index, request)

        responses = generate_grouped(
            requests,
            encode,
            self._generate_chunk,
            self.batch_size,
            (lambda p: p.ids) if self.prefix_order else (lambda p: len(p.ids)),
        )
        embeds = [i for i, request in enumerate(requests) if request.embedding]
        for index, response in zip(embeds, self.embed([requests[i] for i in embeds]), strict=True):
            responses[index] = response
        return [r if r is not None else error_response({}, "no response") for r in responses]

    def _generate_kwargs(self, sampling: Sampling, longest_prompt: int) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "max_new_tokens": max(1, min(sampling.max_new_tokens, self.context - longest_prompt)),
            "pad_token_id": self.tokenizer.pad_token_id,
            "eos_token_id": sorted(self.eos_ids) or None,
            "do_sample": not sampling.greedy,
        }
        if sampling.greedy:
            # The model's generation_config may carry sampling defaults; greedy must not see them.
            kwargs.update(temperature=None, top_p=None, top_k=None)
        else:
            kwargs["temperature"] = sampling.temperature
            if sampling.top_p is not None:
                kwargs["top_p"] = sampling.top_p
            if sampling.top_k is not None:
                kwargs["top_k"] = sampling.top_k
        if sampling.stop:
            kwargs["stop_strings"] = list(sampling.stop)
            kwargs["tokenizer"] = self.tokenizer
        kwargs.update(dict(sampling.extra))
        return kwargs

    def _generate_chunk(self, chunk: list[TokenPrompt], sampling: Sampling) -> list[dict[str, Any]]:
        """A batch mixing a few long prefixes (instructions) runs group by group, each prefix's KV
        computed once (``shared_prefix.prefix_groups``; ``prefixOrder="false"``: the batch whole)."""
        if not self.prefix_order or sampling.response_schema:
            return self._generate_group(chunk, sampling)
        responses: list[dict[str, Any] | None] = [None] * len(chunk)
        for group in prefix_groups([p.ids for p in chunk]):
            answers = self._generate_group([chunk[i] for i in group], sampling)
            for i, answer in zip(group, answers, strict=True):
                responses[i] = answer
        return [r for r in responses if r is not None]

    def _generate_group(self, chunk: list[TokenPrompt], sampling: Sampling) -> list[dict[str, Any]]:
        import torch

        started = time.perf_counter()
        kwargs = self._generate_kwargs(sampling, max(len(p.ids) for p in chunk))
        # A schema's logits processor counts from the padded prompt: such batches take the plain path.
        shared = (
            None
            if sampling.response_schema
            else prefixed_batch(self.model, self.tokenizer, [p.ids for p in chunk], self.device)
        )
        if shared is not None:
            input_ids, attention_mask = shared.input_ids, shared.attention_mask
            kwargs["cache"] = shared.cache
        else:
            batch = self.tokenizer.pad(
                {"input_ids": [p.ids for p in chunk]}, padding=True, return_tensors="pt"
            )
            input_ids = batch["input_ids"].to(self.device)
            attention_mask = batch["attention_mask"].to(self.device)
        self.constrain(kwargs, sampling, len(chunk), input_ids.shape[1])
        with torch.inference_mode():
            sequences = self.model.generate(input_ids=input_ids, attention_mask=attention_mask, **kwargs)
        elapsed = time.perf_counter() - started
        new_tokens = sequences[:, input_ids.shape[1] :].tolist()
        responses = []
        for prompt, tokens in zip(chunk, new_tokens, strict=True):
            ended = next((i for i, t in enumerate(tokens) if t in self.eos_ids), None)
            kept = tokens if ended is None else tokens[:ended]
            text = self.tokenizer.decode(kept, skip_special_tokens=True)
            text, stopped = truncate_at_stop(text, sampling.stop)
            metadata = {
                "input_tokens": len(prompt.ids),
                "output_tokens": len(kept),
                "finish_reason": "stop" if ended is not None or stopped else "length",
                "generation_time_s": round(elapsed, 4),
                "batch_size": len(chunk),
                "shared_prefix_tokens": shared.shared if shared is not None else 0,
                "model": self.model_name,
                "backend": self.name,
            }
            responses.append(chat_response(prompt.request, text.strip(), metadata))
        return responses

    # -- stream ------------------------------------------------------------------------------------
    def stream(self, request: LLMRequest) -> Iterator[str]:
        import torch
        from transformers import TextIteratorStreamer

        prompt = self.encode(0, request)
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        kwargs = self._generate_kwargs(request.sampling, len(prompt.ids))
        self.constrain(kwargs, request.sampling, 1, len(prompt.ids))
        input_ids = torch.tensor([prompt.ids], device=self.device)
        failure: list[BaseException] = []

        def run() -> None:
            try:
                with torch.inference_mode():
                    self.model.generate(
                        input_ids=input_ids,
                        attention_mask=torch.ones_like(input_ids),
                        streamer=streamer,
                        **kwargs,
                    )
            except BaseException as exc:
                failure.append(exc)
                streamer.end()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        yield from cut_stream(streamer, request.sampling.stop)
        thread.join()
        if failure:
            raise RuntimeError(f"generation failed: {failure[0]}")

    # -- embed -------------------------------------------------------------------------------------
    def embed(self, requests: list[LLMRequest]) -> list[dict[str, Any]]:
        """Mean-pooled, L2-normalised last hidden states: a usable vector from any causal LM."""
        if not requests:
            return []
        import torch

        texts = [r.instruction for r in requests]
        batch = self.tokenizer(
            texts, padding=True, truncation=True, max_length=self.context, return_tensors="pt"
        )
        batch = {k: v.to(self.device) for k, v in batch.items()}
        with torch.inference_mode():
            hidden = self.model(**batch, output_hidden_states=True).hidden_states[-1]
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1)
        vectors = torch.nn.functional.normalize(pooled.float(), dim=-1).tolist()
        counts = batch["attention_mask"].sum(dim=1).tolist()
        return [
            embedding_response(r, v, {"input_tokens": int(n), "dim": len(v), "model": self.model_name})
            for r, v, n in zip(requests, vectors, counts, strict=True)
        ]
