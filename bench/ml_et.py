"""RandomForest through ``train ... as RandomForest`` vs the same fit written by hand in pyspark.ml.

    .venv/bin/python bench/ml_et.py [--rows 200000] [--features 10] [--runs 3] [--master local[*]]

Builds one seeded table (``--rows`` rows: a label and a ``features`` vector of ``--features``
doubles, made by MLlib's VectorAssembler) and writes it as Parquet, so both sides read the same rows
and the same feature column. The engine side runs a two-statement Byzer script (``load parquet``,
``train ... as RandomForest`` with numTrees 20, maxDepth 5, keepVersion false: it fits, saves the
model and its ``meta/0`` table and returns the train result). The pyspark.ml side reads the Parquet,
fits ``RandomForestClassifier(numTrees=20, maxDepth=5, seed=7)`` and saves the model. Each side runs
once to warm up, then ``--runs`` times, taking turns; medians are reported, and the two models'
predictions on the table are compared. The last line is ``ratio: X.XX`` = engine median / pyspark.ml
median (target: at most 1.15).
"""

from __future__ import annotations

import argparse
import os
import platform
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
load parquet.`{table}` as bench_rf;
train bench_rf as RandomForest.`{model}` where keepVersion="false"
  and fitParam.0.numTrees="20" and fitParam.0.maxDepth="5" and fitParam.0.seed="7";
"""


def make_table(spark: SparkSession, path: Path, rows: int, features: int) -> None:
    from pyspark.ml.feature import VectorAssembler
    from pyspark.sql import functions as F

    columns = [F.rand(seed=i).alias(f"x{i}") for i in range(features)]
    df = spark.range(rows).select(*columns)
    score = sum((F.col(f"x{i}") * (i + 1) for i in range(features)), F.lit(0.0))
    df = df.withColumn(
        "label",
        (score + F.rand(seed=99) * features > features * (features + 1) / 4 + features / 2).cast("double"),
    )
    assembled = VectorAssembler(inputCols=[f"x{i}" for i in range(features)], outputCol="features").transform(
        df
    )
    assembled.select("label", "features").write.mode("overwrite").parquet(str(path))


def run_engine(engine: Engine, table: Path, model: Path) -> None:
    result = engine.run_script(SCRIPT.format(table=table, model=model), file="ml_et.byzer")
    status = [r["value"] for r in result.rows if r["name"] == "status"]
    assert status == ["success"], result.rows


def run_pyspark(spark: SparkSession, table: Path, model: Path) -> None:
    from pyspark.ml.classification import RandomForestClassifier

    df = spark.read.parquet(str(table))
    fitted = RandomForestClassifier(numTrees=20, maxDepth=5, seed=7).fit(df)
    fitted.write().overwrite().save(str(model))


def timed(action: Callable[[], None]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def check_same(spark: SparkSession, table: Path, engine_model: Path, pyspark_model: Path) -> None:
    from pyspark.ml.classification import RandomForestClassificationModel

    df = spark.read.parquet(str(table)).limit(2000)
    a = RandomForestClassificationModel.load(str(engine_model / "model" / "0")).transform(df)
    b = RandomForestClassificationModel.load(str(pyspark_model)).transform(df)
    if a.select("prediction").collect() != b.select("prediction").collect():
        raise SystemExit("the engine and pyspark.ml trained different models")


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def memory_gib() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--features", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--master", default="local[*]")
    args = parser.parse_args()

    import pyspark

    from byzer_engine.runtime import Engine, EngineConfig

    with tempfile.TemporaryDirectory(prefix="byzer-bench-ml-") as tmp:
        root = Path(tmp)
        config = EngineConfig(
            spark_master=args.master, data_root=str(root / "data"), log_file=str(root / "logs" / "spark.log")
        )
        table = root / "table"
        engine_model, pyspark_model = root / "models" / "engine", root / "models" / "pyspark"
        with Engine(config) as engine:
            spark = engine.spark
            start = time.perf_counter()
            make_table(spark, table, args.rows, args.features)
            print(
                f"input: {args.rows:,} rows x {args.features} features (built in {time.perf_counter() - start:.1f} s)"
            )
            warm_engine = timed(lambda: run_engine(engine, table, engine_model))
            warm_pyspark = timed(lambda: run_pyspark(spark, table, pyspark_model))
            print(f"warm-up: engine {warm_engine:.2f} s, pyspark.ml {warm_pyspark:.2f} s")
            engine_s: list[float] = []
            pyspark_s: list[float] = []
            for index in range(args.runs):
                if index % 2:
                    pyspark_s.append(timed(lambda: run_pyspark(spark, table, pyspark_model)))
                engine_s.append(timed(lambda: run_engine(engine, table, engine_model)))
                if not index % 2:
                    pyspark_s.append(timed(lambda: run_pyspark(spark, table, pyspark_model)))
            check_same(spark, table, engine_model, pyspark_model)

    engine_median = statistics.median(engine_s)
    pyspark_median = statistics.median(pyspark_s)
    print(
        f"machine: {os.cpu_count()}-core {platform.machine()}, {memory_gib():.0f} GiB; "
        f"Python {platform.python_version()}, pyspark {pyspark.__version__}, master {args.master}; "
        f"load average {load_average()}"
    )
    print(f"engine     (train ... as RandomForest)  runs: {' '.join(f'{s:.2f}' for s in engine_s)}")
    print(f"pyspark.ml (fit + save)                 runs: {' '.join(f'{s:.2f}' for s in pyspark_s)}")
    print(f"engine median:     {engine_median:.2f} s")
    print(f"pyspark.ml median: {pyspark_median:.2f} s")
    print(f"target: engine / pyspark.ml <= {TARGET_RATIO:.2f}")
    print(f"ratio: {engine_median / pyspark_median:.2f}")


if __name__ == "__main__":
    main()
