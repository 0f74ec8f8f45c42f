"""Delta write + read of 1M rows (the delta source) against Parquet write + read, on one engine.

Prints both times and, as the last line, ``ratio: X`` = delta / parquet (target <= 1.5).
"""

from __future__ import annotations

import tempfile
import time

from byzer_engine.runtime import Engine, EngineConfig

ROWS = 1_000_000
SCRIPT = """
select id, cast(id % 100 as string) as k, rand() as v from range(0, {rows}) as t;
save overwrite t as {fmt}.`bench/{fmt}`;
load {fmt}.`bench/{fmt}` as back;
select count(*) as n, sum(v) as total from back as out;
"""


def timed(engine: Engine, fmt: str) -> float:
    start = time.perf_counter()
    rows = engine.run_script(SCRIPT.format(rows=ROWS, fmt=fmt), owner="bench").rows
    elapsed = time.perf_counter() - start
    assert rows[0]["n"] == ROWS, rows
    return elapsed


def main() -> None:
    root = tempfile.mkdtemp(prefix="byzer-bench-delta-")
    config = EngineConfig(spark_master="local[*]", data_root=root, log_file=f"{root}/spark.log")
    with Engine(config) as engine:
        timed(engine, "parquet")  # warm-up: JVM, Python workers
        timed(engine, "delta")
        parquet = min(timed(engine, "parquet") for _ in range(2))
        delta = min(timed(engine, "delta") for _ in range(2))
    print(f"parquet write+read of {ROWS} rows: {parquet:.2f} s")
    print(f"delta write+read of {ROWS} rows: {delta:.2f} s")
    print(f"ratio: {delta / parquet:.2f}")


if __name__ == "__main__":
    main()
