"""One GGUF model in llama.cpp (through llama-cpp-python's low-level API): weights, vocabulary, a
multi-sequence context and its batch, plus a lazily made embedding context.

Only this module touches ctypes. The decode loop (``llamacpp_decode``) asks it to run a batch of
``(token, position, sequence, wants_logits)`` entries and to free a sequence's KV cells.
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from byzer_engine.lang.errors import ByzerError

MISSING_LLAMA_CPP = (
    "the llamacpp backend needs llama-cpp-python: pip install llama-cpp-python==0.3.36 "
    '(it compiles llama.cpp, a few minutes); or deploy with !byzerllm setup "infer_backend=transformers";'
)
# Largest context a deploy gets unless backend.n_ctx says otherwise (the KV cache is shared by all
# the sequences decoded together, so this bounds prompt + answer tokens in flight).
DEFAULT_CONTEXT = 8192
LLAMA_POOLING_MEAN = 1
# Embedding inputs are cut to this many tokens; each sequence runs whole in one micro-batch.
EMBED_CONTEXT = 2048
_PIECE_BUFFER = 256
_log_lock = threading.Lock()
_log_callback: Any = None


def import_llama_cpp() -> Any:
    try:
        import llama_cpp
    except ImportError as exc:
        raise ByzerError(f"{MISSING_LLAMA_CPP} ({exc})") from exc
    return llama_cpp


def _quiet(llama_cpp: Any) -> None:
    """llama.cpp logs every load to stderr; keep only its errors (level 4; 5 continues any line)."""
    global _log_callback
    with _log_lock:
        if _log_callback is None:

            def log(level: int, text: bytes, _user: Any) -> None:
                if level == 4 and text:
                    os.write(2, text)

            _log_callback = llama_cpp.llama_log_callback(log)
            llama_cpp.llama_log_set(_log_callback, ctypes.c_void_p(0))
            llama_cpp.llama_backend_init()


@dataclass(frozen=True)
class ContextSettings:
    """How the decoding context is shaped (``backend.*`` deploy keys)."""

    n_ctx: int
    sequences: int
    threads: int
    unified_kv: bool = True
    # Tokens in flight (prompts plus answer budgets) decoded together (``llamacpp_decode``).
    active_tokens: int = 2048
    # Off by default: llama.cpp's CPU flash attention over a KV cache shared by several sequences
    # gives a row slightly different logits depending on its batch-mates (measured), so greedy
    # answers would depend on batching. 1: on, -1: llama.cpp's "auto".
    flash_attn: int = 0


class LlamaModel:
    """The model and one decoding context serving up to ``settings.sequences`` sequences at once."""

    def __init__(self, path: str, settings: ContextSettings) -> None:
        llama_cpp = import_llama_cpp()
        _quiet(llama_cpp)
        self.lib = llama_cpp
        params = llama_cpp.llama_model_default_params()
        params.n_gpu_layers = 0
        self.model = llama_cpp.llama_model_load_from_file(path.encode(), params)
        if not self.model:
            raise ByzerError(f"llama.cpp could not load the model file {path}")
        self.vocab = llama_cpp.llama_model_get_vocab(self.model)
        self.n_vocab = int(llama_cpp.llama_vocab_n_tokens(self.vocab))
        self.n_embd = int(llama_cpp.llama_model_n_embd(self.model))
        trained = int(llama_cpp.llama_model_n_ctx_train(self.model)) or DEFAULT_CONTEXT
        self.settings = settings
        self.n_ctx = max(64, min(settings.n_ctx, trained))
        self.ctx = self._context(embeddings=False, sequences=settings.sequences)
        self.memory = llama_cpp.llama_get_memory(self.ctx)
        self.batch_capacity = self.n_ctx
        self.batch = llama_cpp.llama_batch_init(self.batch_capacity, 0, 1)
        self.eog_ids = frozenset(
            t for t in range(self.n_vocab) if llama_cpp.llama_vocab_is_eog(self.vocab, t)
        )
        self.embed_context = min(EMBED_CONTEXT, self.n_ctx)
        self._embed_ctx: Any = None
        self._piece = ctypes.create_string_buffer(_PIECE_BUFFER)

    def _context(self, embeddings: bool, sequences: int) -> Any:
        lib = self.lib
        params = lib.llama_context_default_params()
        size = self.embed_context if embeddings else self.n_ctx
        params.n_ctx = size
        params.n_batch = size
        params.n_ubatch = size if embeddings else min(512, size)
        params.n_seq_max = max(1, sequences) + (0 if embeddings else 1)  # +1: the shared prefix
        params.n_threads = self.settings.threads
        params.n_threads_batch = self.settings.threads
        params.kv_unified = self.settings.unified_kv
        params.flash_attn_type = self.settings.flash_attn
        params.no_perf = True
        if embeddings:
            params.embeddings = True
            params.pooling_type = LLAMA_POOLING_MEAN
        ctx = lib.llama_init_from_model(self.model, params)
        if not ctx:
            raise ByzerError(f"llama.cpp could not create a context of {size} tokens")
        return ctx

    # -- vocabulary --------------------------------------------------------------------------------
    def metadata(self, key: str) -> str | None:
        size = 1 << 16
        buffer = ctypes.create_string_buffer(size)
        n = self.lib.llama_model_meta_val_str(self.model, key.encode(), buffer, size)
        if n < 0:
            return None
        if n >= size:
            buffer = ctypes.create_string_buffer(n + 1)
            self.lib.llama_model_meta_val_str(self.model, key.encode(), buffer, n + 1)
        return buffer.value.decode("utf-8", errors="replace")

    def chat_template(self) -> str | None:
        found = self.lib.llama_model_chat_template(self.model, None)
        return found.decode("utf-8", errors="replace") if found else None

    def special_text(self, token: int) -> str:
        return self.piece(token, special=True).decode("utf-8", errors="replace") if token >= 0 else ""

    def bos(self) -> int:
        return int(self.lib.llama_vocab_bos(self.vocab))

    def eos(self) -> int:
        return int(self.lib.llama_vocab_eos(self.vocab))

    def tokenize(self, text: str) -> list[int]:
        """Token ids of a rendered prompt: no BOS added, special tokens (``<|im_start|>``) parsed."""
        data = text.encode("utf-8")
        room = len(data) + 16
        tokens = (self.lib.llama_token * room)()
        n = self.lib.llama_tokenize(self.vocab, data, len(data), tokens, room, False, True)
        if n < 0:
            room = -n
            tokens = (self.lib.llama_token * room)()
            n = self.lib.llama_tokenize(self.vocab, data, len(data), tokens, room, False, True)
        return list(tokens[:n])

    def piece(self, token: int, special: bool = False) -> bytes:
        n = self.lib.llama_token_to_piece(self.vocab, token, self._piece, _PIECE_BUFFER, 0, special)
        if n < 0:
            bigger = ctypes.create_string_buffer(-n)
            n = self.lib.llama_token_to_piece(self.vocab, token, bigger, -n, 0, special)
            return bytes(bigger.raw[:n])
        return bytes(self._piece.raw[:n])

    # -- decoding ----------------------------------------------------------------------------------
    def decode(self, entries: Sequence[tuple[int, int, int, bool]]) -> int:
        """Run ``(token, position, seq_id, wants_logits)`` entries through the model in one call;
        llama.cpp's status (0 ok, 1 no room in the KV cache, other: failure)."""
        if len(entries) > self.batch_capacity:
            raise RuntimeError(f"a batch of {len(entries)} tokens exceeds {self.batch_capacity}")
        batch = self.batch
        for i, (token, position, seq_id, wants) in enumerate(entries):
            batch.token[i] = token
            batch.pos[i] = position
            batch.n_seq_id[i] = 1
            batch.seq_id[i][0] = seq_id
            batch.logits[i] = 1 if wants else 0
        batch.n_tokens = len(entries)
        return int(self.lib.llama_decode(self.ctx, batch))

    def logits(self, index: int) -> np.ndarray:
        """The logits of batch entry ``index`` of the last decode (a view: copy before changing)."""
        pointer = self.lib.llama_get_logits_ith(self.ctx, index)
        return np.ctypeslib.as_array(pointer, shape=(self.n_vocab,))

    def forget(self, seq_id: int) -> None:
        """Free a sequence's KV cells."""
        self.lib.llama_memory_seq_rm(self.memory, seq_id, -1, -1)

    def share(self, source: int, target: int) -> None:
        """Give sequence ``target`` the KV cells of ``source`` (a shared prefix: no copy, no compute)."""
        self.lib.llama_memory_seq_cp(self.memory, source, target, -1, -1)

    def forget_all(self) -> None:
        self.lib.llama_memory_clear(self.memory, True)

    # -- embeddings --------------------------------------------------------------------------------
    def embed(self, token_lists: list[list[int]]) -> list[list[float]]:
        """Mean-pooled, L2-normalised vectors, several sequences per call."""
        if self._embed_ctx is None:
            self._embed_ctx = self._context(embeddings=True, sequences=self.settings.sequences)
        ctx = self._embed_ctx
        memory = self.lib.llama_get_memory(ctx)
        vectors: list[list[float]] = []
        start = 0
        while start < len(token_lists):
            group: list[list[int]] = []
            used = 0
            for ids in token_lists[start:]:
                if group and (used + len(ids) > self.embed_context or len(group) >= self.settings.sequences):
                    break
                group.append(ids)
                used += len(ids)
            batch = self.lib.llama_batch_init(max(1, used), 0, 1)
            try:
                i = 0
                for seq_id, ids in enumerate(group):
                    for position, token in enumerate(ids):
                        batch.token[i], batch.pos[i], batch.n_seq_id[i] = token, position, 1
                        batch.seq_id[i][0] = seq_id
                        batch.logits[i] = 1
                        i += 1
                batch.n_tokens = i
                status = self.lib.llama_decode(ctx, batch)
                if status != 0:
                    raise RuntimeError(f"llama.cpp failed to embed (status {status})")
                for seq_id in range(len(group)):
                    pointer = self.lib.llama_get_embeddings_seq(ctx, seq_id)
                    vector = np.ctypeslib.as_array(pointer, shape=(self.n_embd,)).astype(np.float64)
                    norm = float(np.linalg.norm(vector)) or 1.0
                    vectors.append((vector / norm).tolist())
            finally:
                self.lib.llama_batch_free(batch)
                self.lib.llama_memory_clear(memory, True)
            start += len(group)
        return vectors

    def close(self) -> None:
        lib = self.lib
        if self._embed_ctx is not None:
            lib.llama_free(self._embed_ctx)
            self._embed_ctx = None
        if self.ctx is not None:
            lib.llama_batch_free(self.batch)
            lib.llama_free(self.ctx)
            lib.llama_model_free(self.model)
            self.ctx = None
