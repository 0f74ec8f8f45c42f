"""LLM function in SQL (Spark + Ray pool) vs the same backend called in-process, in one run.

Three measurements over the packaged SmolLM2-135M-Instruct, greedy, the same batch size and
``max_length`` on both sides:

1. direct: the deployed backend's ``generate`` (``--backend``: ``llamacpp``, the default for the
   packaged GGUF model, or ``transformers``) in this process over N distinct prompts, with the
   worker's ``--batch-size`` and threads;
2. engine: ``select chat(llm_param(...)) from t`` over the same N prompts through the engine (Spark
   Arrow batches -> the Ray master -> one model worker);
3. engine with 50 % duplicated prompts: N rows of the first N/2 prompts of (2), each twice (the pool
   computes identical requests of a batch once).

Prints rows/s of each, the speedup of (3) over (2) (target >= 1.8) and, as its last line,
``ratio: X.XX`` = engine rows/s / direct rows/s (target >= 0.9).

    .venv/bin/python bench/llm_udf.py [--backend llamacpp] [--rows 96] [--batch-size 16] [--max-length 16] [--runs 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from typing import Any

from byzer_engine.llm.backends.base import BackendConfig
from byzer_engine.llm.requests import parse_request
from byzer_engine.runtime import Engine, EngineConfig

OWNER = "bench"
FUNCTION = "bench_chat"
SUBJECTS = (
    "France", "Japan", "Italy", "Germany", "Spain", "Egypt", "Canada", "Brazil", "India", "Kenya",
    "Norway", "Chile", "Peru", "Greece", "Turkey", "Poland", "Sweden", "Mexico", "Cuba", "Iran",
    "Iraq", "Nepal", "Ghana", "Mali", "Laos", "Fiji", "Oman", "Chad", "Togo", "Niger",
)  # fmt: skip
TOPICS = (
    "capital", "largest city", "main language", "currency", "national dish", "longest river",
    "highest mountain", "national animal", "flag colour", "main religion",
)  # fmt: skip


def prompts(count: int, offset: int) -> list[str]:
    """``count`` distinct questions, starting ``offset`` questions in (so runs never share prompts)."""
    everything = [f"What is the {topic} of {subject}?" for topic in TOPICS for subject in SUBJECTS]
    if offset + count > len(everything):
        raise SystemExit(f"at most {len(everything)} distinct prompts: lower --rows")
    return everything[offset : offset + count]


def _request(prompt: str, max_length: int) -> dict[str, Any]:
    return {"instruction": prompt, "temperature": "0", "max_length": str(max_length)}


def time_direct(
    questions: list[str], backend_name: str, batch_size: int, max_length: int, threads: int
) -> float:
    """Seconds for the backend in this process to answer every question, batch by batch."""
    from byzer_engine.llm.backends import create_backend

    backend = create_backend(
        BackendConfig(
            backend=backend_name,
            model_type="custom/auto",
            threads=threads,
            options={"batch_size": str(batch_size)},
        )
    )
    try:
        requests = [parse_request(_request(q, max_length)) for q in questions]
        backend.generate(requests[:batch_size])  # warm-up
        started = time.perf_counter()
        # One call, as the pool's worker gets one part: the backend groups the requests by their
        # settings, orders them by length and runs them ``batch_size`` at a time, on both sides alike.
        responses = backend.generate(requests)
        elapsed = time.perf_counter() - started
        assert all("error" not in r for r in responses), responses[:3]
        return elapsed
    finally:
        backend.close()


def _values(questions: list[str]) -> str:
    return ", ".join("('" + q.replace("'", "\\'") + "')" for q in questions)


def time_engine(engine: Engine, questions: list[str], max_length: int) -> float:
    """Seconds for ``select chat(...)`` over a table of ``questions`` (rows in this order)."""
    script = f"""
select q from values {_values(questions)} as t(q) as questions;
select llm_response_predict(chat_fn(llm_param(map("instruction", q, "temperature", "0",
       "max_length", "{max_length}")))) as a from questions as answers;
""".replace("chat_fn", FUNCTION)
    started = time.perf_counter()
    rows = engine.run_script(script, owner=OWNER).rows
    elapsed = time.perf_counter() - started
    assert len(rows) == len(questions) and all(r["a"] is not None for r in rows), rows[:3]
    return elapsed


def _pool_counts() -> tuple[int, int, int, int]:
    from byzer_engine.llm.pool import client

    info = client.describe(FUNCTION) or {}
    keys = ("batches", "windows", "requests_served", "distinct_computed")
    return (*(int(info.get(key, 0)) for key in keys),)  # type: ignore[return-value]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=96)
    parser.add_argument("--backend", default="llamacpp", choices=("llamacpp", "transformers"))
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=16)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    rows, batch, length = args.rows - args.rows % 2, args.batch_size, args.max_length
    threads = os.cpu_count() or 1

    root = tempfile.mkdtemp(prefix="byzer-bench-llm-")
    config = EngineConfig(spark_master="local[2]", data_root=root, spark_conf={"spark.driver.memory": "2g"})
    # llamacpp picks its own threads from the worker's share of the cores (one core left to Spark and
    # Ray), on both sides alike; transformers gets the machine's cores, as before.
    threads_option = f'and backend.threads="{threads}"' if args.backend == "transformers" else ""
    with Engine(config) as engine:
        deploy = f"""
!byzerllm setup single;
!byzerllm setup "maxConcurrency=1";
run command as LLM.`` where action="infer" and udfName="{FUNCTION}" and pretrainedModelType="custom/auto"
  and infer_backend="{args.backend}" and backend.batch_size="{batch}" {threads_option} and cache="false";
"""
        started = time.perf_counter()
        engine.run_script(deploy, owner=OWNER)
        shown = threads if args.backend == "transformers" else "the backend's default"
        print(
            f"deploy ({args.backend}, Ray pool, 1 worker, threads: {shown}): {time.perf_counter() - started:.1f} s"
        )
        time_engine(engine, prompts(batch, 0), length)  # warm-up: Spark's Python workers, Ray
        # Each run has prompts of its own. The direct side answers the same distinct prompts; the
        # duplicated table holds the first half of them, each twice, side by side (so both copies
        # travel in one Arrow batch). The result cache is off (bench/llm_cache.py measures it): the pool computes them again.
        distinct_sets = [prompts(rows, batch + run * rows) for run in range(args.runs)]
        duplicated_sets = [
            [q for q in questions[: rows // 2] for _ in range(2)] for questions in distinct_sets
        ]
        try:
            before = _pool_counts()
            engine_times = [time_engine(engine, questions, length) for questions in distinct_sets]
            dup_times = [time_engine(engine, questions, length) for questions in duplicated_sets]
            after = _pool_counts()
            print(
                "pool: {} Arrow batches gathered into {} windows, {} requests, {} computed".format(
                    *(b - a for a, b in zip(before, after, strict=True))
                )
            )
        finally:
            engine.run_script(f"!byzerllm model remove {FUNCTION};", owner=OWNER)
        # The pool's worker is gone: the direct run has the machine's cores to itself, as the worker had.
        direct_times = [
            time_direct(questions, args.backend, batch, length, threads) for questions in distinct_sets
        ]

    for label, times in (("direct", direct_times), ("engine", engine_times), ("duplicated", dup_times)):
        print(f"{label} runs (s): " + ", ".join(f"{t:.2f}" for t in times))
    direct_rps = rows / statistics.median(direct_times)
    engine_rps = rows / statistics.median(engine_times)
    dup_rps = rows / statistics.median(dup_times)
    print(
        f"backend: {args.backend}, rows: {rows}, batch size: {batch}, max_length: {length}, greedy, runs: {args.runs}"
    )
    print(f"direct (backend in-process):         {direct_rps:7.2f} rows/s")
    print(f"engine (Spark + Ray pool):           {engine_rps:7.2f} rows/s")
    print(f"engine, 50% duplicated prompts:      {dup_rps:7.2f} rows/s")
    print(f"speedup from duplicates: {dup_rps / engine_rps:.2f} (target >= 1.8)")
    print(f"ratio: {engine_rps / direct_rps:.2f}")


if __name__ == "__main__":
    main()
