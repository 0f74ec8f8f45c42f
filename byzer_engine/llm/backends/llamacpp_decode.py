"""Continuous batched decoding over one llama.cpp context: every step is one ``llama_decode`` call
holding the next token of each running sequence (and the whole prompt of each sequence starting).

A sequence is admitted while a sequence id is free and the tokens in flight (every running prompt plus
its answer budget) stay within ``active_tokens`` (at most the KV cache): in one context every token
attends over all the cells in use, the other sequences' masked out but still computed, so long prompts
decoded together cost more than one after another, while short ones gain from sharing each step's
weights (measured on one core: four 1.3k-token prompts took 94 s one at a time, 142 s together; 32
short ones 19 s with 2048 tokens in flight, 23 s with 4096). One that ends (an end-of-generation
token, a stop sequence, its token budget, its grammar) frees its cells at once, so the next waiting
prompt starts in the following step.

The prompts' longest common prefix (a chat template's system prompt, a shared instruction) is
computed once, into a sequence of its own, and every prompt starts from its cells
(``llama_memory_seq_cp``): only each prompt's own tail is computed.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from byzer_engine.llm.backends.llamacpp_model import LlamaModel
from byzer_engine.llm.backends.shared_prefix import common_prefix_length
from byzer_engine.llm.requests import truncate_at_stop

# A shared prefix shorter than this is computed with each prompt.
MIN_SHARED_PREFIX = 8

# Chooses the next token from a row of logits (sampling, grammar); ``None`` ends the sequence.
Picker = Callable[[np.ndarray], "int | None"]


@dataclass
class Sequence:
    """One prompt to continue, and what decoding made of it."""

    prompt: list[int]
    max_new: int
    pick: Picker
    stop: tuple[str, ...] = ()
    # Called with each token kept (a grammar matcher's ``consume``).
    accept: Callable[[int], None] | None = None
    tokens: list[int] = field(default_factory=list)
    text: bytearray = field(default_factory=bytearray)
    finish: str = ""
    error: str = ""
    seconds: float = 0.0
    seq_id: int = -1

    @property
    def budget(self) -> int:
        return len(self.prompt) + self.max_new

    def answer(self) -> str:
        text = self.text.decode("utf-8", errors="ignore")
        return truncate_at_stop(text, self.stop)[0] if self.stop else text


class BatchDecoder:
    def __init__(self, model: LlamaModel, sequences: int, active_tokens: int | None = None) -> None:
        self.model = model
        self.sequences = max(1, sequences)
        self.active_tokens = min(model.n_ctx, active_tokens or model.n_ctx)

    def _share_prefix(self, work: list[Sequence]) -> int:
        """Computes the prompts' common prefix into the prefix sequence; its length (0: none)."""
        shared = common_prefix_length([s.prompt for s in work]) if len(work) > 1 else 0
        if shared < MIN_SHARED_PREFIX:
            return 0
        prefix = work[0].prompt[:shared]
        status = self.model.decode([(t, i, self.prefix_id, False) for i, t in enumerate(prefix)])
        if status != 0:
            self.model.forget(self.prefix_id)
            return 0
        return shared

    @property
    def prefix_id(self) -> int:
        return self.sequences

    def run(self, work: list[Sequence], on_step: Callable[[], None] | None = None) -> None:
        """Decode every sequence of ``work`` to its end (results are written into each)."""
        model = self.model
        waiting = deque(work)
        running: list[Sequence] = []
        free = list(range(self.sequences - 1, -1, -1))
        started = time.perf_counter()
        shared = self._share_prefix(work)
        reserved = shared
        try:
            while waiting or running:
                starting: list[Sequence] = []
                while (
                    waiting
                    and free
                    and (
                        (not running and not starting)
                        or reserved + waiting[0].budget - shared <= self.active_tokens
                    )
                ):
                    sequence = waiting.popleft()
                    sequence.seq_id = free.pop()
                    reserved += sequence.budget - shared
                    starting.append(sequence)
                entries: list[tuple[int, int, int, bool]] = []
                owners: list[tuple[Sequence, int]] = []
                for sequence in running:
                    position = len(sequence.prompt) + len(sequence.tokens) - 1
                    owners.append((sequence, len(entries)))
                    entries.append((sequence.tokens[-1], position, sequence.seq_id, True))
                for sequence in starting:
                    last = len(sequence.prompt) - 1
                    if shared:
                        model.share(self.prefix_id, sequence.seq_id)
                    entries.extend(
                        (sequence.prompt[position], position, sequence.seq_id, position == last)
                        for position in range(shared, len(sequence.prompt))
                    )
                    owners.append((sequence, len(entries) - 1))
                status = model.decode(entries)
                if status != 0:
                    raise RuntimeError(f"llama.cpp could not decode the batch (status {status})")
                running.extend(starting)
                ended: list[Sequence] = []
                for sequence, index in owners:
                    if self._advance(sequence, model.logits(index)):
                        ended.append(sequence)
                for sequence in ended:
                    running.remove(sequence)
                    model.forget(sequence.seq_id)
                    free.append(sequence.seq_id)
                    reserved -= sequence.budget - shared
                    sequence.seconds = time.perf_counter() - started
                if on_step is not None:
                    on_step()
        finally:
            if running:
                model.forget_all()
            elif shared:
                model.forget(self.prefix_id)

    def _advance(self, sequence: Sequence, logits: np.ndarray) -> bool:
        """Adds one token to ``sequence``; says whether it has ended."""
        token = sequence.pick(logits)
        if token is None:
            sequence.finish = sequence.finish or "stop"
            return True
        if token in self.model.eog_ids:
            sequence.finish = "stop"
            return True
        sequence.tokens.append(token)
        sequence.text += self.model.piece(token)
        if sequence.accept is not None:
            sequence.accept(token)
        if (
            sequence.stop
            and truncate_at_stop(sequence.text.decode("utf-8", errors="ignore"), sequence.stop)[1]
        ):
            sequence.finish = "stop"
            return True
        if len(sequence.tokens) >= sequence.max_new:
            sequence.finish = "length"
            return True
        return False
