"""The QA backend (``pretrainedModelType="qa"``): retrieve chunks from an index, answer with a chat model.

The index is the parquet folder written at deploy (``byzer_engine.llm.qa.index``), held in memory as a
matrix of unit vectors. For a batch of requests the backend asks the embedding pool (``embeddingFunc``)
for every query's vector in one call, takes each query's ``k`` (default 4) chunks of highest cosine
similarity, and sends every filled ``prompt`` to the chat pool (``chatFunc``) in one call.

Request keys besides the usual ones (which go on to the chat model): ``k``, ``prompt`` (a template with
``{context}`` and ``{query}``), ``strategy`` (``chunks``: the retrieved chunks are the context;
``full_doc``: the whole documents they come from are) and ``hint="show_only_context"`` (answer with
the retrieved chunks and their scores, without asking the chat model).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from byzer_engine.lang.errors import ByzerError
from byzer_engine.llm.backends.base import Backend, BackendConfig
from byzer_engine.llm.requests import (
    LLMRequest,
    RequestError,
    answer_parsed,
    chat_response,
    error_response,
)

if TYPE_CHECKING:
    import numpy as np

DEFAULT_K = 4
DEFAULT_PROMPT = (
    "Answer the question using only the context below. If the context does not contain the answer, "
    "say that you do not know.\n\nContext:\n{context}\n\nQuestion: {query}\nAnswer:"
)
SHOW_ONLY_CONTEXT = "show_only_context"
STRATEGIES = ("chunks", "full_doc")
# Keys that steer retrieval; they are not passed on to the chat model.
QA_KEYS = frozenset({"k", "prompt", "hint", "strategy", "embedding"})
DEFAULT_TIMEOUT_S = 600.0
_PLACEHOLDER = re.compile(r"\{(context|query)\}")


@dataclass(frozen=True)
class Hit:
    source: str | None
    chunk_id: int
    content: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "chunk_id": self.chunk_id,
            "content": self.content,
            "score": round(self.score, 6),
        }


class Index:
    """Chunks and their unit vectors, searched by cosine similarity."""

    def __init__(
        self, sources: list[str | None], chunk_ids: list[int], contents: list[str], vectors: np.ndarray
    ) -> None:
        import numpy as np

        if vectors.ndim != 2 or vectors.shape[0] != len(contents):
            raise ByzerError("the QA index is malformed: one embedding per chunk is expected")
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        self.vectors = vectors / np.where(norms > 0, norms, 1.0)
        self.sources = sources
        self.chunk_ids = chunk_ids
        self.contents = contents

    def __len__(self) -> int:
        return len(self.contents)

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def search(self, query: list[float], k: int) -> list[Hit]:
        import numpy as np

        vector = np.asarray(query, dtype=np.float32)
        if vector.shape != (self.dim,):
            raise RequestError(
                f"the query embedding has {vector.size} dimensions but the index has {self.dim}: "
                "build the index with the same embedding function"
            )
        norm = float(np.linalg.norm(vector))
        scores = self.vectors @ (vector / norm if norm > 0 else vector)
        top = np.argsort(-scores, kind="stable")[: min(k, len(self))]
        return [
            Hit(self.sources[i], self.chunk_ids[i], self.contents[i], float(scores[i])) for i in top.tolist()
        ]

    def document(self, source: str) -> str:
        """Every chunk of ``source``, in order."""
        parts = sorted(
            (c, t) for s, c, t in zip(self.sources, self.chunk_ids, self.contents, strict=True) if s == source
        )
        return "\n".join(t for _, t in parts)


def load_index(path: str) -> Index:
    """The parquet index at ``path`` (a file or a folder of part files)."""
    import numpy as np
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path, columns=["source", "chunk_id", "content", "embedding"])
    except (OSError, ValueError, KeyError) as exc:
        raise ByzerError(f"cannot read the QA index at '{path}': {exc}") from exc
    embeddings = table.column("embedding").combine_chunks()
    rows = len(table)
    if rows == 0:
        raise ByzerError(f"the QA index at '{path}' has no chunks")
    if embeddings.null_count:
        raise ByzerError(f"the QA index at '{path}' has chunks without an embedding")
    lengths = pc.min_max(pc.list_value_length(embeddings)).as_py()
    if lengths["min"] != lengths["max"] or not lengths["min"]:
        raise ByzerError(f"the QA index at '{path}' has embeddings of different sizes")
    flat = pc.list_flatten(embeddings).to_numpy(zero_copy_only=False)
    vectors = np.asarray(flat, dtype=np.float32).reshape(rows, int(lengths["max"]))
    chunk_ids = [int(c) if c is not None else 0 for c in table.column("chunk_id").to_pylist()]
    contents = [str(c) if c is not None else "" for c in table.column("content").to_pylist()]
    return Index(table.column("source").to_pylist(), chunk_ids, contents, vectors)


def fill_prompt(template: str, context: str, query: str) -> str:
    """``template`` with ``{context}`` and ``{query}`` filled in one pass (a value is never re-filled)."""
    values = {"context": context, "query": query}
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


@dataclass(frozen=True)
class _Query:
    index: int
    request: LLMRequest
    k: int
    prompt: str
    strategy: str
    only_context: bool


def parse_query(index: int, request: LLMRequest) -> _Query:
    raw = request.raw
    k_raw = raw.get("k", DEFAULT_K)
    try:
        k = int(str(k_raw).strip())
    except ValueError:
        raise RequestError(f"request field 'k' must be a whole number, got {k_raw!r}") from None
    if k < 1:
        raise RequestError(f"request field 'k' must be at least 1, got {k}")
    strategy = str(raw.get("strategy") or "chunks").strip()
    if strategy not in STRATEGIES:
        raise RequestError(
            f"request field 'strategy' must be one of {', '.join(STRATEGIES)}, got {strategy!r}"
        )
    hint = str(raw.get("hint") or "").strip()
    if hint and hint != SHOW_ONLY_CONTEXT:
        raise RequestError(f"request field 'hint' must be {SHOW_ONLY_CONTEXT!r}, got {hint!r}")
    prompt = str(raw.get("prompt") or DEFAULT_PROMPT)
    if not request.instruction.strip():
        raise RequestError("the question (instruction) is empty")
    return _Query(index, request, k, prompt, strategy, hint == SHOW_ONLY_CONTEXT)


class QABackend(Backend):
    name = "qa"
    serves_kinds = ("qa",)
    uses_local_compute = False
    loads_local_model = False
    streams = True

    @classmethod
    def model_label(cls, options: Any) -> str | None:
        return f"qa({options.chat_func} + {options.embedding_func})"

    @classmethod
    def deploy_extra(cls, ctx: Any, options: Any) -> dict[str, str]:
        """The index table exported for the workers, and the two functions they call."""
        from byzer_engine.llm.qa.index import export_index

        return {
            "embeddingFunc": str(options.embedding_func),
            "chatFunc": str(options.chat_func),
            "index_path": export_index(ctx, options.model_table, options.udf_name),
        }

    def __init__(self, config: BackendConfig) -> None:
        from byzer_engine.llm.pool.client import get_master

        extra = config.extra
        missing = [key for key in ("embeddingFunc", "chatFunc", "index_path") if not extra.get(key)]
        if missing:
            raise ByzerError(f"the qa backend needs {', '.join(missing)}")
        self.embedding_func = str(extra["embeddingFunc"])
        self.chat_func = str(extra["chatFunc"])
        self.index_path = str(extra["index_path"])
        self.model_name = config.model_name or f"qa({self.chat_func} + {self.embedding_func})"
        timeout = config.option("timeout")
        self.timeout_s = float(timeout) if timeout else DEFAULT_TIMEOUT_S
        for key, name in (("embeddingFunc", self.embedding_func), ("chatFunc", self.chat_func)):
            if get_master(name) is None:
                raise ByzerError(f"{key} '{name}' is not deployed; deploy it before the QA function")
        self.index = load_index(self.index_path)

    def describe(self) -> dict[str, Any]:
        return {
            "backend": self.name,
            "model": self.model_name,
            "chunks": len(self.index),
            "dim": self.index.dim,
            "index": self.index_path,
            "embeddingFunc": self.embedding_func,
            "chatFunc": self.chat_func,
        }

    def _call(self, pool: str, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        from byzer_engine.llm.pool.client import call

        return answer_parsed(batch, lambda requests: call(pool, requests, timeout_s=self.timeout_s))

    def _context(self, query: _Query, hits: list[Hit]) -> str:
        if query.strategy == "full_doc":
            sources = list(dict.fromkeys(h.source for h in hits))
            by_source = {h.source: h for h in hits}
            return "\n\n".join(
                self.index.document(s) if s is not None else by_source[s].content for s in sources
            )
        return "\n\n".join(h.content for h in hits)

    def _retrieve(
        self, queries: list[_Query], responses: list[dict[str, Any] | None]
    ) -> dict[int, list[Hit]]:
        """The hits of each query that could be embedded; failures become that request's response."""
        batch = [{"instruction": q.request.instruction, "embedding": "true"} for q in queries]
        try:
            embedded = self._call(self.embedding_func, batch) if batch else []
        except Exception as exc:
            for q in queries:
                responses[q.index] = error_response(
                    q.request.raw, f"embeddingFunc '{self.embedding_func}': {exc}"
                )
            return {}
        hits: dict[int, list[Hit]] = {}
        for query, response in zip(queries, embedded, strict=True):
            vector = response.get("output")
            if "error" in response or not isinstance(vector, list):
                reason = response.get("error") or "it returned no vector"
                responses[query.index] = error_response(
                    query.request.raw, f"embeddingFunc '{self.embedding_func}': {reason}"
                )
                continue
            try:
                hits[query.index] = self.index.search(vector, query.k)
            except RequestError as exc:
                responses[query.index] = error_response(query.request.raw, str(exc))
        return hits

    def _answer(
        self, queries: list[_Query], hits: dict[int, list[Hit]], responses: list[dict[str, Any] | None]
    ) -> None:
        batch = []
        for query in queries:
            chat = {k: v for k, v in query.request.raw.items() if k not in QA_KEYS}
            chat["instruction"] = fill_prompt(
                query.prompt, self._context(query, hits[query.index]), query.request.instruction
            )
            batch.append(chat)
        started = time.perf_counter()
        try:
            answered = self._call(self.chat_func, batch) if batch else []
        except Exception as exc:
            for q in queries:
                responses[q.index] = error_response(q.request.raw, f"chatFunc '{self.chat_func}': {exc}")
            return
        elapsed = round(time.perf_counter() - started, 4)
        for query, response in zip(queries, answered, strict=True):
            contexts = [{k: v for k, v in h.to_dict().items() if k != "content"} for h in hits[query.index]]
            metadata = {
                **dict(response.get("metadata") or {}),
                "backend": self.name,
                "chat_model": (response.get("metadata") or {}).get("model"),
                "model": self.model_name,
                "contexts": contexts,
                "chat_time_s": elapsed,
            }
            if "error" in response:
                responses[query.index] = error_response(
                    query.request.raw, f"chatFunc '{self.chat_func}': {response['error']}", metadata
                )
            else:
                responses[query.index] = chat_response(
                    query.request, str(response.get("output", "")), metadata
                )

    def stream(self, request: LLMRequest) -> Iterator[str]:
        """The whole answer as one delta (the retrieved chunks as JSON for ``show_only_context``)."""
        (response,) = self.generate([request])
        if "error" in response:
            raise RuntimeError(str(response["error"]))
        output = response["output"]
        yield output if isinstance(output, str) else json.dumps(output, ensure_ascii=False)

    def generate(self, requests: list[LLMRequest]) -> list[dict[str, Any]]:
        responses: list[dict[str, Any] | None] = [None] * len(requests)
        queries: list[_Query] = []
        for index, request in enumerate(requests):
            try:
                queries.append(parse_query(index, request))
            except RequestError as exc:
                responses[index] = error_response(request.raw, str(exc))
        try:
            hits = self._retrieve(queries, responses)
            for query in queries:
                if query.index in hits and query.only_context:
                    found = hits[query.index]
                    metadata = {
                        "backend": self.name,
                        "model": self.model_name,
                        "k": query.k,
                        "chunks": len(found),
                    }
                    responses[query.index] = {
                        "output": [h.to_dict() for h in found],
                        "input": query.request.raw,
                        "metadata": metadata,
                    }
            self._answer([q for q in queries if q.index in hits and not q.only_context], hits, responses)
        except Exception as exc:
            for query in queries:
                if responses[query.index] is None:
                    responses[query.index] = error_response(query.request.raw, f"retrieval failed: {exc}")
        return [
            r if r is not None else error_response(requests[i].raw, "no response")
            for i, r in enumerate(responses)
        ]
