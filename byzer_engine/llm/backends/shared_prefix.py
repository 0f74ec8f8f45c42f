"""Shared-prefix KV for one batched ``generate``: the common token prefix of a batch is run once.

Rows that share a long token prefix (the rendered chat template of the same system message or
instruction) get the prefix's KV cache computed once for a single row and repeated over the batch;
each row then continues from it with its own suffix. The suffixes are left-padded *after* the prefix:
the attention mask has zeros there and transformers' ``generate`` takes the position ids from the
mask's cumulative sum, so every row sees exactly the positions and keys of the plain path.
A batch whose common prefix is shorter than ``MIN_SHARED_TOKENS`` takes the plain path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# Below this many common tokens, computing the prefix apart costs more than it saves.
MIN_SHARED_TOKENS = 32


def common_prefix_length(rows: Sequence[Sequence[int]]) -> int:
    """Tokens every row starts with, leaving each row at least one token of its own."""
    if not rows:
        return 0
    limit = min(len(r) for r in rows) - 1
    first = rows[0]
    length = 0
    while length < limit and all(r[length] == first[length] for r in rows):
        length += 1
    return max(0, length)


# A run of prompts gets a prefix of its own when it shares this many more tokens than the whole batch.
MIN_GROUP_GAIN = 32


def prefix_groups(prompts: Sequence[Sequence[int]]) -> list[list[int]]:
    """The indexes of ``prompts`` in groups that each share a long prefix of their own (one group when
    none shares more than the whole batch does): a batch mixing a few long instructions is computed
    group by group, each instruction computed once, rather than every prompt whole."""
    if len(prompts) < 2:
        return [list(range(len(prompts)))]
    overall = common_prefix_length(prompts)
    order = sorted(range(len(prompts)), key=lambda i: list(prompts[i]))
    groups: list[list[int]] = [[order[0]]]
    for index in order[1:]:
        head = prompts[groups[-1][0]]
        if common_prefix_length([head, prompts[index]]) >= overall + MIN_GROUP_GAIN:
            groups[-1].append(index)
        else:
            groups.append([index])
    shared = [g for g in groups if len(g) > 1]
    alone = [g[0] for g in groups if len(g) == 1]
    if len(shared) + (1 if alone else 0) < 2:
        return [list(range(len(prompts)))]
    return shared + ([alone] if alone else [])  # prompts sharing with no other go together


@dataclass
class PrefixedBatch:
    """What ``generate`` is given: the full padded inputs and the prefix's cache (already batched)."""

    input_ids: Any
    attention_mask: Any
    cache: Any
    shared: int


def prefixed_batch(
    model: Any, tokenizer: Any, rows: Sequence[Sequence[int]], device: str
) -> PrefixedBatch | None:
    """The batch with its shared prefix precomputed, or None when the rows share too little."""
    if len(rows) < 2:
        return None
    shared = common_prefix_length(rows)
    if shared < MIN_SHARED_TOKENS:
        return None
    import torch
    from transformers import DynamicCache

    prefix = torch.tensor([list(rows[0][:shared])], device=device)
    cache = DynamicCache(config=model.config)
    with torch.inference_mode():
        model(input_ids=prefix, cache=cache, use_cache=True)
    cache.batch_repeat_interleave(len(rows))
    suffixes = tokenizer.pad(
        {"input_ids": [list(r[shared:]) for r in rows]}, padding=True, return_tensors="pt"
    )
    count = len(rows)
    input_ids = torch.cat([prefix.expand(count, shared), suffixes["input_ids"].to(device)], dim=1)
    ones = torch.ones(count, shared, dtype=suffixes["attention_mask"].dtype, device=device)
    attention_mask = torch.cat([ones, suffixes["attention_mask"].to(device)], dim=1)
    return PrefixedBatch(input_ids, attention_mask, cache, shared)
