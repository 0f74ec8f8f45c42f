"""What a script returns: its last table as JSON-safe rows, with the schema and the job."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from byzer_engine.runtime.jobs import JobInfo

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

EMPTY_SCHEMA: dict[str, Any] = {"type": "struct", "fields": []}


@dataclass(frozen=True)
class Result:
    rows: list[dict[str, Any]]
    schema: dict[str, Any]
    table_name: str | None
    job: JobInfo
    # Lines printed by the script (``!println``), in order.
    messages: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"schema": self.schema, "data": self.rows}


def collect_rows(df: DataFrame, limit: int | None) -> list[dict[str, Any]]:
    """Rows through Spark's own JSON writer, so types look exactly as Byzer returns them
    (dates ``yyyy-MM-dd``, ISO timestamps, nested structs as objects, explicit nulls)."""
    from pyspark.sql import functions as F

    if not df.columns:
        return []
    limited = df.limit(limit) if limit is not None and limit >= 0 else df
    as_json = limited.select(F.to_json(F.struct("*"), {"ignoreNullFields": "false"}).alias("row"))
    return [json.loads(row[0]) for row in as_json.collect()]


def schema_of(df: DataFrame | None) -> dict[str, Any]:
    if df is None:
        return dict(EMPTY_SCHEMA)
    value: dict[str, Any] = df.schema.jsonValue()
    return value
