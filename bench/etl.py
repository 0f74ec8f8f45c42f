"""ETL through the engine vs the same job written by hand in PySpark, on one SparkSession.

    .venv/bin/python bench/etl.py [--rows 1000000] [--runs 3] [--keys 1000] [--master local[*]]

Generates a seeded CSV (``--rows`` rows: id, k, v, price, day, note) in a temporary folder, then runs
the same job both ways: read it with ``header`` and ``inferSchema``, group by ``k`` with a count and
two sums, and overwrite a Parquet folder with the result. The engine side is ``Engine.run_script`` of
a three-statement Byzer script; the PySpark side is the DataFrame API on ``engine.spark`` with the
same options. Each side runs once to warm up, then ``--runs`` times, taking turns (and turns at going
first), and the median wall time of each is reported; both outputs are read back and compared. The last line is
``ratio: X.XX`` = engine median / PySpark median (target: at most 1.15).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from byzer_engine.runtime import Engine

TARGET_RATIO = 1.15
SCRIPT = """\
load csv.`{csv}` where header="true" and inferSchema="true" as t;
select k, count(*) as n, sum(v) as total_v, sum(price) as total_price from t group by k as g;
save overwrite g as parquet.`{out}`;
"""


def generate_csv(path: Path, rows: int, keys: int, seed: int = 42) -> None:
    """``rows`` lines of id,k,v,price,day,note; ``keys`` distinct values of k."""
    rng = random.Random(seed)
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("id,k,v,price,day,note\n")
        chunk: list[str] = []
        for i in range(rows):
            k = f"k{rng.randrange(keys):05d}"
            v = rng.randrange(-1000, 10_000)
            price = rng.randrange(1, 1_000_000) / 100
            day = f"2024-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
            note = f"{rng.choice(words)} {rng.choice(words)}"
            chunk.append(f"{i},{k},{v},{price},{day},{note}\n")
            if len(chunk) == 50_000:
                out.writelines(chunk)
                chunk.clear()
        out.writelines(chunk)


def run_engine(engine: Engine, csv: Path, out: Path) -> None:
    result = engine.run_script(SCRIPT.format(csv=csv, out=out), file="etl.byzer")
    assert result.rows == [], result.rows


def run_pyspark(spark: SparkSession, csv: Path, out: Path) -> None:
    from pyspark.sql import functions as F

    df = spark.read.options(header="true", inferSchema="true").csv(str(csv))
    grouped = df.groupBy("k").agg(
        F.count("*").alias("n"), F.sum("v").alias("total_v"), F.sum("price").alias("total_price")
    )
    grouped.write.mode("overwrite").parquet(str(out))


def timed(action: Callable[[], None]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def check_same(spark: SparkSession, left: Path, right: Path, keys: int) -> None:
    """Both outputs hold the same groups with the same totals."""
    a = spark.read.parquet(str(left))
    b = spark.read.parquet(str(right))
    if a.schema != b.schema:
        raise SystemExit(f"schemas differ:\n{a.schema}\n{b.schema}")
    if a.count() != b.count() or a.count() > keys or a.exceptAll(b).count() or b.exceptAll(a).count():
        raise SystemExit("the engine and PySpark wrote different results")


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def memory_gib() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keys", type=int, default=1000)
    parser.add_argument("--master", default="local[*]")
    args = parser.parse_args()

    import pyspark

    from byzer_engine.runtime import Engine, EngineConfig

    with tempfile.TemporaryDirectory(prefix="byzer-bench-etl-") as tmp:
        root = Path(tmp)
        csv = root / "input.csv"
        start = time.perf_counter()
        generate_csv(csv, args.rows, args.keys)
        print(
            f"input: {args.rows:,} rows, {csv.stat().st_size / 2**20:.1f} MiB "
            f"(generated in {time.perf_counter() - start:.1f} s)"
        )
        config = EngineConfig(
            spark_master=args.master,
            data_root=str(root / "data"),
            log_file=str(root / "logs" / "spark.log"),
        )
        engine_out, pyspark_out = root / "out" / "engine", root / "out" / "pyspark"
        with Engine(config) as engine:
            spark = engine.spark
            warm_engine = timed(lambda: run_engine(engine, csv, engine_out))
            warm_pyspark = timed(lambda: run_pyspark(spark, csv, pyspark_out))
            print(f"warm-up: engine {warm_engine:.2f} s, PySpark {warm_pyspark:.2f} s")
            engine_s: list[float] = []
            pyspark_s: list[float] = []
            for index in range(args.runs):
                # Alternate which side goes first, so neither always runs right after the other.
                if index % 2:
                    pyspark_s.append(timed(lambda: run_pyspark(spark, csv, pyspark_out)))
                engine_s.append(timed(lambda: run_engine(engine, csv, engine_out)))
                if not index % 2:
                    pyspark_s.append(timed(lambda: run_pyspark(spark, csv, pyspark_out)))
            check_same(spark, engine_out, pyspark_out, args.keys)

    engine_median = statistics.median(engine_s)
    pyspark_median = statistics.median(pyspark_s)
    ratio = engine_median / pyspark_median
    print(
        f"machine: {os.cpu_count()}-core {platform.machine()}, {memory_gib():.0f} GiB; "
        f"Python {platform.python_version()}, pyspark {pyspark.__version__}, master {args.master}; "
        f"load average {load_average()}"
    )
    print(f"engine  (Engine.run_script)  runs: {' '.join(f'{s:.2f}' for s in engine_s)}")
    print(f"PySpark (DataFrame API)      runs: {' '.join(f'{s:.2f}' for s in pyspark_s)}")
    print(f"engine median:  {engine_median:.2f} s")
    print(f"PySpark median: {pyspark_median:.2f} s")
    print(f"target: engine / PySpark <= {TARGET_RATIO:.2f}")
    print(f"ratio: {ratio:.2f}")


if __name__ == "__main__":
    main()
