"""Small, deterministic training tables for the ML ET tests, built with Spark SQL (no files)."""

from __future__ import annotations

from typing import Any

from byzer_engine.runtime import Engine

# 200 rows, two well-separated classes over two non-negative features.
CLASSES = """
select cast(id % 2 as double) as label,
       vec_dense(array(cast(id % 7 as double) / 7.0 + cast(id % 2 as double) * 1.5,
                       cast(id % 5 as double) / 5.0 + 1.0 - cast(id % 2 as double) * 0.5)) as features
from range(0, 200) as data;
"""

# y = 3x + 1 with a small deterministic wobble.
LINE = """
select cast(id as double) / 10.0 * 3.0 + 1.0 + cast(id % 3 as double) / 100.0 as label,
       vec_dense(array(cast(id as double) / 10.0)) as features
from range(0, 120) as line;
"""

# three blobs for clustering
BLOBS = """
select vec_dense(array(cast(id % 3 as double) * 10.0 + cast(id % 5 as double) / 10.0,
                       cast(id % 3 as double) * -7.0 + cast(id % 4 as double) / 10.0)) as features
from range(0, 150) as blobs;
"""


def run(engine: Engine, owner: str, script: str) -> list[dict[str, Any]]:
    return engine.run_script(script, owner=owner).rows


def as_dict(rows: list[dict[str, Any]]) -> dict[str, list[str]]:
    """(name, value) rows as name -> all its values, in order."""
    out: dict[str, list[str]] = {}
    for row in rows:
        out.setdefault(row["name"], []).append(row["value"])
    return out
