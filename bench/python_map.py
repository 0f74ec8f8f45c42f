"""A per-row Python transform over 1M rows: ``run command as Ray`` with ``map_iter`` vs hand-written
Spark → ``ray.data.from_arrow`` → ``map_batches`` → Spark.

    .venv/bin/python bench/python_map.py [--rows 1000000] [--partitions 2] [--runs 3] [--master local[2]]

Both sides start from the same table (``range`` with two derived columns, ``--partitions``
partitions), apply the same function to every row (``transform``), and end with a Spark DataFrame of
the same schema, materialized (the engine checkpoints its result on the executors; the hand-written
side builds its DataFrame from the Arrow tables Ray returns, and caches it), then both count and sum
it; the sums are compared. Each side runs once to warm up, then ``--runs`` times, taking turns; the
median wall time of each is reported. The last line is ``ratio: X.XX`` = engine median /
hand-written median (target: at most 1.25).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from byzer_engine.runtime import Engine

TARGET_RATIO = 1.25
OWNER = "bench_python"
TRANSFORM_SOURCE = """
def transform(row):
    a, k = row["a"], row["k"]
    return {"a": a, "b": a * 3 + k, "s": "k" + str(k)}
"""
SCRIPT = """select id as a, id % 97 as k from range(0, {rows}, 1, {partitions}) as bench_in;
!python conf "dataMode=data";
!python conf "schema=st(field(a,long),field(b,long),field(s,string))";
run command as Ray.`` where inputTable="bench_in" and keepPartitionNum="true" and code='''
from pyjava.api.mlsql import RayContext
{transform}
def apply(rows):
    for row in rows:
        yield transform(row)
RayContext.connect(globals(), None).map_iter(apply)
''' as bench_out;
select count(*) as n, sum(b) as total from bench_out as summary;
"""

namespace: dict[str, Any] = {}
exec(TRANSFORM_SOURCE, namespace)
transform = namespace["transform"]


def run_engine(engine: Engine, rows: int, partitions: int) -> tuple[int, int]:
    script = SCRIPT.format(rows=rows, partitions=partitions, transform=TRANSFORM_SOURCE)
    result = engine.run_script(script, owner=OWNER).rows[0]
    return int(result["n"]), int(result["total"])


def run_by_hand(engine: Engine, rows: int, partitions: int) -> tuple[int, int]:
    import pyarrow as pa
    import ray
    import ray.data

    spark = engine.spark
    df = spark.range(0, rows, 1, partitions).selectExpr("id as a", "id % 97 as k")
    tables = df._collect_as_arrow()  # type: ignore[operator]
    schema = pa.schema([("a", pa.int64()), ("b", pa.int64()), ("s", pa.string())])

    def per_batch(batch: pa.Table) -> pa.Table:
        return pa.Table.from_pylist([transform(row) for row in batch.to_pylist()], schema=schema)

    dataset = ray.data.from_arrow([pa.Table.from_batches([t]) for t in tables]).map_batches(
        per_batch, batch_format="pyarrow", batch_size=None
    )
    out = pa.concat_tables(ray.get(dataset.to_arrow_refs()))
    result = spark.createDataFrame(out).cache()
    summary = result.selectExpr("count(*) as n", "sum(b) as total").first()
    result.unpersist()
    assert summary is not None
    return int(summary["n"]), int(summary["total"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--partitions", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--master", default="local[2]")
    args = parser.parse_args()

    from byzer_engine.runtime import Engine, EngineConfig
    from byzer_engine.runtime.ray_connect import ensure_ray, shutdown_ray

    with tempfile.TemporaryDirectory() as root:
        config = EngineConfig(
            spark_master=args.master,
            data_root=os.path.join(root, "data"),
            log_file=os.path.join(root, "spark.log"),
            spark_conf={"spark.driver.memory": "3g"},
        )
        with Engine(config) as engine:
            ensure_ray(os.environ.get("BYZER_RAY_ADDRESS"))
            expected = (args.rows, sum(a * 3 + a % 97 for a in range(args.rows)))
            sides = {
                "engine (run command as Ray, map_iter)": run_engine,
                "hand-written (ray.data)": run_by_hand,
            }
            times: dict[str, list[float]] = {name: [] for name in sides}
            for round_index in range(args.runs + 1):
                order = list(sides.items())
                if round_index % 2:
                    order.reverse()
                for name, side in order:
                    start = time.perf_counter()
                    got = side(engine, args.rows, args.partitions)
                    elapsed = time.perf_counter() - start
                    assert got == expected, (name, got, expected)
                    if round_index:
                        times[name].append(elapsed)
            shutdown_ray()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"rows: {args.rows}, partitions: {args.partitions}, runs: {args.runs}")
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, median in medians.items():
        print(f"{name}: {median:.2f} s (runs: {', '.join(f'{v:.2f}' for v in times[name])})")
    engine_median, hand_median = medians.values()
    print(f"target: ratio <= {TARGET_RATIO}")
    print(f"ratio: {engine_median / hand_median:.2f}")


if __name__ == "__main__":
    main()
