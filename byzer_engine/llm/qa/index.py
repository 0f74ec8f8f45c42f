"""The index a QA pool serves: the ``modelTable`` of the deploy, written as parquet for its workers.

The folder is ``<home>/.byzer/qa_index/<udfName>/<digest>``, where the digest is computed from the
index's rows in Spark. The same index gives the same folder, so redeploying an unchanged index keeps the
running pool; a rebuilt index gives a new folder (and so a new pool), and the folders of older
indexes of that function are removed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from byzer_engine.lang.errors import ByzerError
from byzer_engine.llm.qa.builder import INDEX_COLUMNS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from byzer_engine.runtime.ets.base import ETContext

INDEX_FOLDER = (".byzer", "qa_index")
_DONE = "_SUCCESS"


def index_frame(ctx: ETContext, table_name: str) -> DataFrame:
    """The table ``table_name`` with the index columns, typed; errors name what is missing."""
    from pyspark.sql import functions as F

    try:
        table = ctx.spark.table(table_name)
    except Exception as error:  # Spark's AnalysisException: no such table or view
        raise ByzerError(
            f"modelTable '{table_name}' is not a table or view ({error}); build it first with "
            f'run command as LLMQABuilder.`` where inputTable="docs" and outputTable="{table_name}" '
            'and embeddingFunc="emb";'
        ) from None
    present = {c.lower(): c for c in table.columns}
    missing = [name for name, _ in INDEX_COLUMNS if name not in present]
    if missing:
        raise ByzerError(
            f"modelTable '{table_name}' is not a QA index: it lacks {', '.join(missing)} "
            f"(an index has {', '.join(name for name, _ in INDEX_COLUMNS)})"
        )
    return table.select(*(F.col(f"`{present[name]}`").cast(kind).alias(name) for name, kind in INDEX_COLUMNS))


def index_digest(frame: DataFrame) -> tuple[int, str]:
    """(rows, a digest of the rows that does not depend on their order)."""
    from pyspark.sql import functions as F

    row_hash = F.xxhash64(*(F.col(name) for name, _ in INDEX_COLUMNS)).cast("decimal(38,0)")
    stats = frame.agg(F.count(F.lit(1)).alias("rows"), F.sum(row_hash).alias("hash")).collect()[0]
    rows = int(stats["rows"])
    total = int(stats["hash"] or 0)
    return rows, f"{rows:x}-{total % (1 << 64):016x}"


def _prune(folder: Path, keep: str) -> None:
    for entry in folder.iterdir():
        if entry.name != keep and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)


def export_index(ctx: ETContext, table_name: str, udf_name: str) -> str:
    """Write the index table ``table_name`` as parquet for the QA function ``udf_name``; returns the path."""
    frame = index_frame(ctx, table_name)
    rows, digest = index_digest(frame)
    if rows == 0:
        raise ByzerError(f"modelTable '{table_name}' has no rows: there is nothing to retrieve")
    folder = Path(ctx.home, *INDEX_FOLDER, udf_name)
    target = folder / digest
    if not (target / _DONE).is_file():
        folder.mkdir(parents=True, exist_ok=True)
        frame.write.mode("overwrite").parquet(str(target))
    _prune(folder, digest)
    return os.fspath(target)
