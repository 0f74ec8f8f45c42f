"""The result cache: the same 96-row LLM query twice, the second answered from the cache.

Deploys the packaged SmolLM2-135M-Instruct (one worker, greedy, ``max_length`` 16) on an empty data
root, runs ``select chat(llm_param(...)) from t`` over N distinct questions, then the same query
again. Prints both times, the pool's computed and cached counts, and, as its last line,
``ratio: X.XX`` = first run / second run (target >= 20).

    .venv/bin/python bench/llm_cache.py [--rows 96] [--max-length 16]
"""

from __future__ import annotations

import argparse
import os
import tempfile

from llm_udf import FUNCTION, OWNER, prompts, time_engine

from byzer_engine.runtime import Engine, EngineConfig


def _pool(key: str) -> int:
    from byzer_engine.llm.pool import client

    return int((client.describe(FUNCTION) or {}).get(key, 0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=96)
    parser.add_argument("--max-length", type=int, default=16)
    args = parser.parse_args()
    threads = os.cpu_count() or 1
    root = tempfile.mkdtemp(prefix="byzer-bench-cache-")
    config = EngineConfig(spark_master="local[2]", data_root=root, spark_conf={"spark.driver.memory": "2g"})
    with Engine(config) as engine:
        engine.run_script(
            f"""
!byzerllm setup single;
!byzerllm setup "maxConcurrency=1";
run command as LLM.`` where action="infer" and udfName="{FUNCTION}" and pretrainedModelType="custom/auto"
  and backend.batch_size="8" and backend.threads="{threads}";
""",
            owner=OWNER,
        )
        time_engine(engine, prompts(8, 0), args.max_length)  # warm-up: Spark's Python workers, Ray
        questions = prompts(args.rows, 8)
        try:
            computed, hits = _pool("distinct_computed"), _pool("cache_hits")
            first = time_engine(engine, questions, args.max_length)
            computed_first, hits_first = _pool("distinct_computed") - computed, _pool("cache_hits") - hits
            second = time_engine(engine, questions, args.max_length)
            computed_second = _pool("distinct_computed") - computed - computed_first
            hits_second = _pool("cache_hits") - hits - hits_first
        finally:
            engine.run_script(f"!byzerllm model remove {FUNCTION};", owner=OWNER)
    print(f"rows: {args.rows}, max_length: {args.max_length}, greedy, 1 worker, {threads} torch threads")
    print(f"first run (model):  {first:7.2f} s  ({computed_first} computed, {hits_first} from the cache)")
    print(f"second run (cache): {second:7.2f} s  ({computed_second} computed, {hits_second} from the cache)")
    print(f"ratio: {first / second:.2f}")


if __name__ == "__main__":
    main()
