"""``run command as LLMQABuilder.`` where inputTable="docs" and outputTable="qa_index" and embeddingFunc="emb"``.

The documents' ``page_content`` is split into chunks by a Spark UDF (``split_text``, at most
``chunkSize`` characters each, neighbours sharing up to ``chunkOverlap`` characters); each chunk is
embedded by the deployed embedding function, called as a SQL function, so the work stays on Spark's
executors and the pool sees whole Arrow batches. The index (``source``, ``chunk_id``, ``content``,
``embedding array<double>``) is computed once, kept cached, and registered as the temp view
``outputTable``. A chunk that cannot be embedded fails the statement with that chunk's error.
"""

from __future__ import annotations

import re
from collections import deque
from typing import TYPE_CHECKING, Any

import pandas as pd

from byzer_engine.lang.errors import ByzerError
from byzer_engine.llm.deploy_options import UDF_NAME

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from byzer_engine.runtime.ets.base import ETContext

DEFAULT_CHUNK_SIZE = 600
DEFAULT_CHUNK_OVERLAP = 0
INDEX_COLUMNS = (
    ("source", "string"),
    ("chunk_id", "int"),
    ("content", "string"),
    ("embedding", "array<double>"),
)
# ctx.owner_state key: outputTable -> the cached frame behind that index view.
CACHED_KEY = "llm.qa.cached"
# Where a text may be cut, coarsest first: paragraphs, lines, sentences, words; then anywhere.
_BOUNDARIES = (
    re.compile(r"\n\s*\n"),
    re.compile(r"\n"),
    re.compile(r"(?<=[.!?])\s+|(?<=[。！？；])"),
    re.compile(r"\s+"),
)


# -- chunking (pure Python; the Spark UDF runs it on the executors) --------------------------------------
def _cut(text: str, boundary: re.Pattern[str]) -> list[str]:
    """``text`` in pieces ending just after each boundary match; joined, they give ``text`` back."""
    pieces: list[str] = []
    start = 0
    for match in boundary.finditer(text):
        end = match.end()
        if start < end < len(text):
            pieces.append(text[start:end])
            start = end
    pieces.append(text[start:])
    return pieces


def _pieces(text: str, size: int, level: int = 0) -> list[str]:
    """Pieces of at most ``size`` characters (not counting trailing whitespace, which chunks lose), cut
    at the coarsest boundary that makes them fit."""
    if len(text.rstrip()) <= size:
        return [text]
    if level == len(_BOUNDARIES):
        return list(text)
    parts = _cut(text, _BOUNDARIES[level])
    if len(parts) == 1:
        return _pieces(text, size, level + 1)
    out: list[str] = []
    for part in parts:
        out.extend(_pieces(part, size, level + 1) if len(part.rstrip()) > size else [part])
    return out


def _merge(pieces: list[str], size: int, overlap: int) -> list[str]:
    """Greedily join pieces into chunks of at most ``size``; a new chunk starts with the previous
    chunk's last pieces, as long as they total at most ``overlap`` characters."""
    chunks: list[str] = []
    current: deque[str] = deque()
    total = 0
    for piece in pieces:
        width = len(piece.rstrip())
        if current and total + width > size:
            chunks.append("".join(current))
            while current and (total > overlap or total + width > size):
                total -= len(current.popleft())
        current.append(piece)
        total += len(piece)
    if current:
        chunks.append("".join(current))
    return chunks


def check_chunking(chunk_size: int, chunk_overlap: int) -> None:
    if chunk_size < 1:
        raise ByzerError(f"chunkSize must be at least 1, got {chunk_size}")
    if chunk_overlap < 0 or chunk_overlap >= chunk_size:
        raise ByzerError(
            f"chunkOverlap must be at least 0 and less than chunkSize ({chunk_size}), got {chunk_overlap}"
        )


def split_text(
    text: str | None, chunk_size: int = DEFAULT_CHUNK_SIZE, chunk_overlap: int = DEFAULT_CHUNK_OVERLAP
) -> list[str]:
    """``text`` as chunks of at most ``chunk_size`` characters, cut at paragraph, line, sentence or
    word boundaries where possible; neighbouring chunks share up to ``chunk_overlap`` characters.
    Chunks are stripped of surrounding whitespace; blank text gives no chunks."""
    check_chunking(chunk_size, chunk_overlap)
    if text is None or not text.strip():
        return []
    chunks = (c.strip() for c in _merge(_pieces(text, chunk_size), chunk_size, chunk_overlap))
    return [c for c in chunks if c]


# -- options ---------------------------------------------------------------------------------------------
def _int_option(options: dict[str, str], key: str, default: int) -> int:
    raw = (options.get(key) or "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ByzerError(f"{key} must be a whole number, got '{raw}'") from None


def _name_option(options: dict[str, str], key: str, what: str) -> str:
    value = (options.get(key) or "").strip()
    if not value:
        raise ByzerError(f'LLMQABuilder needs {key} ({what}), e.g. {key}="{key.lower()}"')
    if not UDF_NAME.match(value):
        raise ByzerError(f"{key} '{value}' is not a valid name (letters, digits and '_')")
    return value


def _documents(ctx: ETContext, table: DataFrame | None, options: dict[str, str]) -> tuple[DataFrame, str]:
    name = (options.get("inputTable") or "").strip()
    if name:
        try:
            return ctx.spark.table(name), name
        except Exception as error:  # Spark's AnalysisException: no such table or view
            raise ByzerError(f"inputTable '{name}' is not a table or view: {error}") from None
    if table is None:
        raise ByzerError("LLMQABuilder needs inputTable (a table with page_content and source columns)")
    return table, "the input table"


# -- the index -------------------------------------------------------------------------------------------
def _split_udf(chunk_size: int, chunk_overlap: int) -> Any:
    from pyspark.sql.functions import pandas_udf
    from pyspark.sql.types import ArrayType, StringType

    def split_batch(texts: pd.Series) -> pd.Series:
        chunks = [split_text(t if isinstance(t, str) else None, chunk_size, chunk_overlap) for t in texts]
        return pd.Series(chunks, index=texts.index, dtype=object)

    return pandas_udf(split_batch, ArrayType(StringType()))  # type: ignore[call-overload]


def chunk_frame(docs: DataFrame, label: str, chunk_size: int, chunk_overlap: int) -> DataFrame:
    """One row per chunk: source, chunk_id (0, 1, ... within its document), content."""
    from pyspark.sql import functions as F

    columns = {c.lower(): c for c in docs.columns}
    if "page_content" not in columns:
        raise ByzerError(
            f"{label} needs a page_content column (the text to index) and a source column; "
            f"it has: {', '.join(docs.columns)}"
        )
    source = F.col(f"`{columns['source']}`") if "source" in columns else F.lit(None)
    text = F.col(f"`{columns['page_content']}`").cast("string")
    split = _split_udf(chunk_size, chunk_overlap)
    return docs.select(
        source.cast("string").alias("source"),
        F.posexplode(split(text)).alias("chunk_id", "content"),
    )


def embed_frame(chunks: DataFrame, embedding_func: str) -> DataFrame:
    """``chunks`` with ``embedding`` from the deployed function, and ``_error`` for a chunk that failed."""
    from pyspark.sql import functions as F

    request = "array(to_json(map('instruction', content, 'embedding', 'true')))"
    response = F.expr(f"`{embedding_func}`({request})")[0]
    parsed = F.from_json(response, "output array<double>, error string")
    with_response = chunks.withColumn("_response", parsed)
    failure = F.when(F.col("_response.error").isNotNull(), F.col("_response.error")).when(
        F.col("_response.output").isNull() | (F.size(F.col("_response.output")) == 0),
        F.lit(f"'{embedding_func}' returned no vector (is it an embedding function?)"),
    )
    return with_response.select(
        "source",
        F.col("chunk_id").cast("int").alias("chunk_id"),
        "content",
        F.col("_response.output").alias("embedding"),
        failure.alias("_error"),
    )


def _check_function(ctx: ETContext, name: str) -> None:
    try:
        exists = ctx.spark.catalog.functionExists(name)
    except Exception:  # a catalog that cannot answer: let the query itself report the problem
        return
    if not exists:
        raise ByzerError(
            f"embeddingFunc '{name}' is not a function of this session; deploy it first with "
            f'run command as LLM.`` where action="infer" and udfName="{name}" and '
            'pretrainedModelType="custom/bge";'
        )


def _keep_cached(ctx: ETContext, view: str, frame: DataFrame) -> None:
    """Remember the cached data behind ``view``, releasing that of an index built earlier under the name."""
    held: dict[str, Any] = ctx.owner_state.setdefault(CACHED_KEY, {})
    previous = held.pop(view, None)
    if previous is not None:
        try:
            previous.unpersist()
        except Exception:  # a frame of a session that is gone holds nothing
            pass
    held[view] = frame


def build_index(ctx: ETContext, table: DataFrame | None, options: dict[str, str]) -> DataFrame:
    from pyspark.sql import functions as F

    output = _name_option(options, "outputTable", "the name of the index table")
    embedding_func = _name_option(options, "embeddingFunc", "a deployed embedding function")
    chunk_size = _int_option(options, "chunkSize", DEFAULT_CHUNK_SIZE)
    chunk_overlap = _int_option(options, "chunkOverlap", DEFAULT_CHUNK_OVERLAP)
    check_chunking(chunk_size, chunk_overlap)
    docs, label = _documents(ctx, table, options)
    _check_function(ctx, embedding_func)

    embedded = embed_frame(chunk_frame(docs, label, chunk_size, chunk_overlap), embedding_func).persist()
    counts = embedded.agg(F.count(F.lit(1)).alias("chunks"), F.count("_error").alias("failed")).collect()[0]
    if counts["failed"]:
        first = embedded.where(F.col("_error").isNotNull()).select("source", "chunk_id", "_error").first()
        embedded.unpersist()
        where = f"chunk {first['chunk_id']} of '{first['source']}'" if first is not None else "a chunk"
        reason = first["_error"] if first is not None else "unknown error"
        raise ByzerError(
            f"LLMQABuilder: {counts['failed']} of {counts['chunks']} chunks could not be embedded "
            f"by '{embedding_func}'; {where}: {reason}"
        )
    if counts["chunks"] == 0:
        embedded.unpersist()
        raise ByzerError(f"LLMQABuilder: {label} has no page_content text to index")
    index = embedded.select(*(name for name, _ in INDEX_COLUMNS))
    _keep_cached(ctx, output, embedded)
    index.createOrReplaceTempView(output)
    return index
