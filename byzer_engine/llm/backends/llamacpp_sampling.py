"""Choosing the next token from a row of logits: greedy (argmax), or temperature / top-k / top-p
sampling, optionally masked by a JSON-schema grammar (an llguidance matcher per sequence)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from byzer_engine.llm.requests import RequestError, Sampling

# ``generation.*`` request keys this backend reads; others are refused by name.
SUPPORTED_EXTRA = ("seed",)


def check_extra(sampling: Sampling) -> int | None:
    """The request's ``generation.seed`` (None when absent); RequestError for keys it cannot honour."""
    seed: int | None = None
    for key, value in sampling.extra:
        if key == "seed":
            try:
                seed = int(value)
            except (TypeError, ValueError):
                raise RequestError(
                    f"request field 'generation.seed' must be a whole number, got {value!r}"
                ) from None
        else:
            raise RequestError(
                f"request field 'generation.{key}' is not supported by the llamacpp backend "
                f"(supported: {', '.join('generation.' + k for k in SUPPORTED_EXTRA)}); "
                'deploy with !byzerllm setup "infer_backend=transformers" for other generate arguments'
            )
    return seed


def chooser(sampling: Sampling, rng: np.random.Generator) -> Callable[[np.ndarray], int]:
    if sampling.greedy:
        return lambda logits: int(np.argmax(logits))
    temperature = float(sampling.temperature)
    top_k = sampling.top_k if sampling.top_k and sampling.top_k > 0 else None
    top_p = sampling.top_p if sampling.top_p is not None and 0 < sampling.top_p < 1 else None

    def sample(logits: np.ndarray) -> int:
        scores = logits.astype(np.float64) / temperature
        candidates = np.flatnonzero(np.isfinite(scores))
        if candidates.size == 0:
            return int(np.argmax(logits))
        values = scores[candidates]
        if top_k is not None and top_k < values.size:
            keep = np.argpartition(-values, top_k - 1)[:top_k]
            candidates, values = candidates[keep], values[keep]
        order = np.argsort(-values)
        candidates, values = candidates[order], values[order]
        probs = np.exp(values - values[0])
        probs /= probs.sum()
        if top_p is not None:
            cut = int(np.searchsorted(np.cumsum(probs), top_p)) + 1
            candidates, probs = candidates[:cut], probs[:cut] / probs[:cut].sum()
        return int(candidates[rng.choice(candidates.size, p=probs)])

    return sample


class SchemaMask:
    """One sequence's grammar: masks the logits to the tokens its matcher allows, follows its tokens."""

    def __init__(self, matcher: Any, n_vocab: int) -> None:
        self.matcher = matcher
        self.bitmask = np.zeros((1, (n_vocab + 31) // 32), dtype=np.int32)
        self.n_vocab = n_vocab
        self._bits = np.arange(32, dtype=np.int32)

    def wrap(self, choose: Callable[[np.ndarray], int]) -> Callable[[np.ndarray], int | None]:
        from llguidance.numpy import fill_next_token_bitmask

        def pick(logits: np.ndarray) -> int | None:
            if self.matcher.is_error() or self.matcher.is_stopped():
                return None
            fill_next_token_bitmask(self.matcher, self.bitmask, 0)
            allowed = ((self.bitmask[0][:, None] >> self._bits) & 1).reshape(-1)[: logits.shape[0]]
            masked = np.where(allowed.astype(bool), logits, -np.inf)
            if not np.isfinite(masked).any():
                return None
            return choose(masked)

        return pick

    def accept(self, token: int) -> None:
        self.matcher.consume_token(token)
