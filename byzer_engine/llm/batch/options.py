"""The options of ``LLMBatch``, checked once into a typed value."""

from __future__ import annotations

import re
from dataclasses import dataclass

from byzer_engine.booleans import parse_bool
from byzer_engine.lang.errors import ByzerError

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
PARAM_PREFIX = "param."
DEFAULT_CHUNK_ROWS = 64


@dataclass(frozen=True)
class BatchOptions:
    udf_name: str
    input_col: str
    output_col: str
    row_id_col: str
    chunk_rows: int
    detached: bool
    # Extra request fields (``param.max_length="16"`` -> ``"max_length": "16"``), sorted by key.
    params: tuple[tuple[str, str], ...]

    def identity(self) -> dict[str, object]:
        """What a resumed run must share with the run that wrote the chunks."""
        return {
            "udfName": self.udf_name,
            "inputCol": self.input_col,
            "outputCol": self.output_col,
            "rowIdCol": self.row_id_col,
            "chunkRows": self.chunk_rows,
            "params": [list(p) for p in self.params],
        }


def _name(options: dict[str, str], key: str, default: str | None = None) -> str:
    value = (options.get(key) or default or "").strip()
    if not value:
        raise ByzerError(f"LLMBatch needs the option {key}")
    if not _IDENTIFIER.match(value):
        raise ByzerError(f"LLMBatch option {key}={value!r} must be a plain name (letters, digits, _)")
    return value


def parse_options(options: dict[str, str]) -> BatchOptions:
    raw_chunk = (options.get("chunkRows") or str(DEFAULT_CHUNK_ROWS)).strip()
    if not raw_chunk.isdigit() or int(raw_chunk) <= 0:
        raise ByzerError(f"LLMBatch option chunkRows must be a positive whole number, got {raw_chunk!r}")
    detached = parse_bool("LLMBatch option detached", options.get("detached"))
    parsed = BatchOptions(
        udf_name=_name(options, "udfName"),
        input_col=_name(options, "inputCol"),
        output_col=_name(options, "outputCol", "answer"),
        row_id_col=_name(options, "rowIdCol", "row_id"),
        chunk_rows=int(raw_chunk),
        detached=detached,
        params=tuple(
            sorted((k[len(PARAM_PREFIX) :], v) for k, v in options.items() if k.startswith(PARAM_PREFIX))
        ),
    )
    if parsed.output_col == parsed.row_id_col:
        raise ByzerError("LLMBatch options outputCol and rowIdCol must differ")
    return parsed
