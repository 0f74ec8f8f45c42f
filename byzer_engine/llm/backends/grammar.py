"""Constrained decoding for transformers: a logits processor that lets through only the tokens a JSON
schema allows, one matcher per row of a batch (llguidance, the grammar engine vLLM also offers).

The tokenizer is converted once per backend (``GrammarTokens``); a schema is compiled into a grammar
once and kept (a small LRU), and each generate call gets fresh matchers. A row whose grammar is
complete may only end (its end-of-sequence tokens); a finished row's padding is not fed to its matcher.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

GRAMMAR_CACHE = 64


class GrammarTokens:
    """The model's vocabulary as llguidance sees it, plus compiled grammars by schema text."""

    def __init__(self, tokenizer: Any, vocab_size: int, eos_ids: set[int]) -> None:
        import llguidance.hf

        self.eos_ids = sorted(eos_ids)
        self.vocab_size = vocab_size
        self.tokenizer = llguidance.hf.from_tokenizer(
            tokenizer, n_vocab=vocab_size, eos_token=self.eos_ids[0] if self.eos_ids else None
        )
        self._grammars: OrderedDict[str, str] = OrderedDict()

    @classmethod
    def from_lltokenizer(cls, tokenizer: Any, vocab_size: int, eos_ids: set[int]) -> GrammarTokens:
        """The same, from a vocabulary llguidance already holds (e.g. llama.cpp's, ``llguidance.llamacpp``)."""
        tokens = cls.__new__(cls)
        tokens.eos_ids = sorted(eos_ids)
        tokens.vocab_size = vocab_size
        tokens.tokenizer = tokenizer
        tokens._grammars = OrderedDict()
        return tokens

    def grammar(self, schema_text: str) -> str:
        from llguidance import LLMatcher

        found = self._grammars.get(schema_text)
        if found is None:
            found = LLMatcher.grammar_from_json_schema(
                json.loads(schema_text), defaults={"whitespace_flexible": False}
            )
            error = LLMatcher.validate_grammar(found, self.tokenizer)
            if error:
                raise ValueError(f"the schema cannot be used to constrain decoding: {error}")
            self._grammars[schema_text] = found
            while len(self._grammars) > GRAMMAR_CACHE:
                self._grammars.popitem(last=False)
        self._grammars.move_to_end(schema_text)
        return found

    def processor(self, schema_text: str, rows: int, prompt_length: int) -> SchemaLogitsProcessor:
        return SchemaLogitsProcessor(self, self.grammar(schema_text), rows, prompt_length)


class SchemaLogitsProcessor:
    """A transformers ``LogitsProcessor``: masks each row's logits to what its matcher allows."""

    def __init__(self, tokens: GrammarTokens, grammar: str, rows: int, prompt_length: int) -> None:
        import torch
        from llguidance import LLMatcher

        self.tokens = tokens
        self.matchers = [LLMatcher(tokens.tokenizer, grammar, log_level=0) for _ in range(rows)]
        self.prompt_length = prompt_length
        self.done = [False] * rows
        words = (tokens.vocab_size + 31) // 32
        self.bitmask = torch.zeros((rows, words), dtype=torch.int32)
        self.shifts = torch.arange(32, dtype=torch.int32)

    def errors(self) -> list[str | None]:
        return [m.get_error() if m.is_error() else None for m in self.matchers]

    def _consume(self, input_ids: Any) -> None:
        if input_ids.shape[1] <= self.prompt_length:
            return
        last = input_ids[:, -1].tolist()
        for row, token in enumerate(last):
            if self.done[row]:
                continue
            matcher = self.matchers[row]
            if int(token) in self.tokens.eos_ids or matcher.is_stopped():
                self.done[row] = True
            else:
                matcher.consume_token(int(token))

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch
        from llguidance.torch import fill_next_token_bitmask

        self._consume(input_ids)
        self.bitmask.zero_()
        ending = [
            row for row, m in enumerate(self.matchers) if self.done[row] or m.is_error() or m.is_stopped()
        ]
        for row, matcher in enumerate(self.matchers):
            if row not in ending:
                fill_next_token_bitmask(matcher, self.bitmask, row)
        bits = (self.bitmask.unsqueeze(-1) >> self.shifts) & 1
        allowed = bits.reshape(len(self.matchers), -1).to(dtype=torch.bool)
        width = scores.shape[1]
        if allowed.shape[1] < width:
            allowed = torch.cat(
                [allowed, torch.zeros((len(self.matchers), width - allowed.shape[1]), dtype=torch.bool)], 1
            )
        allowed = allowed[:, :width].clone()
        for row in ending:
            # A finished, complete or failed row may only end.
            allowed[row] = False
            allowed[row, self.tokens.eos_ids] = True
        return scores.masked_fill(~allowed.to(scores.device), float("-inf"))
