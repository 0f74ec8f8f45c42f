"""CPU backends compared through the engine's SQL function: transformers vs CTranslate2 and llama.cpp.

The same 100 labelled questions (``bench/capitals.py``: the capital of a country), greedy, 16 new
tokens, ``select fn(llm_param(...))`` over one table, on

(a) the transformers backend at its best batch size (``--hf-batch``, 100 by ``--sweep``: all rows at once), and
(b) the ctranslate2 backend at its best settings (``--ct2-batch`` rows per forward pass, 64;
    ``--ct2-compute-type``, int8), and
(c) the llamacpp backend at its best settings (``--native-batch`` sequences decoded together,
    ``--native-weights``: the weight type it computes with, f16 by default; native is the file's Q4_1).

Each side is deployed by a Byzer script with ``cache="false"`` (the result cache must not answer),
warmed up on other prompts, timed three times (the median is reported), then removed, so the sides
never share the cores. Prints rows/s and tokens/s of each, ``accuracy: A B`` (fraction of rows whose
answer contains the capital), the llamacpp backend's single-stream decode rate beside a raw
``llama_decode`` loop (what llama-bench's ``tg`` test measures), the ctranslate2 backend's
single-stream rate and, as its last line, ``ratio: X`` = (b) rows/s / (a) rows/s (``--versus
llamacpp``: (c) / (a)).

``--sweep`` first times each backend in-process over the same questions at several batch sizes (and
thread counts for llama.cpp), the figures the defaults were chosen from.

    .venv/bin/python bench/cpu_backend.py [--hf-batch 100] [--ct2-batch 64] [--ct2-compute-type int8]
        [--native-batch 16] [--native-threads 2] [--native-weights f16] [--versus llamacpp] [--sweep]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from capitals import CAPITALS, correct, question

from byzer_engine.llm.backends.base import BackendConfig
from byzer_engine.llm.requests import parse_request
from byzer_engine.runtime import Engine, EngineConfig

OWNER = "bench"
NEW_TOKENS = 16
# Timed runs of each side's query: the median is reported (the VM's speed drifts with its neighbours).
REPEATS = 3
WARM_UP = ("Name a colour.", "What is 2 plus 3?", "Say hello.", "Name a fruit.")


def _values(texts: list[str]) -> str:
    return ", ".join("('" + t.replace("'", "\\'") + "')" for t in texts)


def _query(function: str, texts: list[str]) -> str:
    return f"""
select q from values {_values(texts)} as t(q) as questions;
select q, llm_response_predict(r) as a,
       cast(get_json_object(try_element_at(r, 1), '$.metadata.output_tokens') as int) as n
from (select q, {function}(llm_param(map("instruction", q, "temperature", "0",
      "max_length", "{NEW_TOKENS}"))) as r from questions) as answers;
"""


def through_sql(
    engine: Engine, backend: str, batch: int, threads: int | None, extra: dict[str, str] | None = None
) -> dict[str, Any]:
    """Deploy ``backend``, answer every question through SQL, undeploy; the figures of the run."""
    function = f"cpu_{backend}"
    options = f'and backend.threads="{threads}"' if threads else ""
    for key, value in (extra or {}).items():
        options += f' and backend.{key}="{value}"'
    deploy = f"""
!byzerllm setup single;
run command as LLM.`` where action="infer" and udfName="{function}" and pretrainedModelType="custom/auto"
  and infer_backend="{backend}" and backend.batch_size="{batch}" {options} and cache="false";
"""
    started = time.perf_counter()
    engine.run_script(deploy, owner=OWNER)
    deployed = time.perf_counter() - started
    try:
        engine.run_script(_query(function, list(WARM_UP)), owner=OWNER)
        questions = [question(country) for country, _ in CAPITALS]
        runs = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            rows = engine.run_script(_query(function, questions), owner=OWNER).rows
            runs.append(time.perf_counter() - started)
        elapsed = statistics.median(runs)
    finally:
        engine.run_script(f"!byzerllm model remove {function};", owner=OWNER)
    answers = {r["q"]: r["a"] for r in rows}
    right = sum(correct(answers.get(question(c)), city) for c, city in CAPITALS)
    tokens = sum(int(r["n"] or 0) for r in rows)
    return {
        "deploy_s": deployed,
        "seconds": elapsed,
        "rows_per_s": len(rows) / elapsed,
        "tokens_per_s": tokens / elapsed,
        "accuracy": right / len(CAPITALS),
    }


def _backend(name: str, batch: int, threads: int, weights: str | None = None) -> Any:
    from byzer_engine.llm.backends import create_backend

    options = {"batch_size": str(batch)}
    if name == "llamacpp":
        options.update(threads=str(threads), weights=weights or "native")
    if name == "ctranslate2" and weights:
        options["compute_type"] = weights
    return create_backend(
        BackendConfig(backend=name, model_type="custom/auto", threads=threads, options=options)
    )


def _requests(texts: list[str], new_tokens: int = NEW_TOKENS) -> list[Any]:
    return [
        parse_request({"instruction": t, "temperature": "0", "max_length": str(new_tokens)}) for t in texts
    ]


def in_process(name: str, batch: int, threads: int, weights: str | None = None) -> float:
    """rows/s of the backend called in this process over every question."""
    backend = _backend(name, batch, threads, weights)
    try:
        backend.generate(_requests(list(WARM_UP)))
        started = time.perf_counter()
        backend.generate(_requests([question(c) for c, _ in CAPITALS]))
        return len(CAPITALS) / (time.perf_counter() - started)
    finally:
        backend.close()


def single_stream(threads: int) -> tuple[float, float]:
    """Tokens/s of one llamacpp sequence (128 new tokens), and of a bare ``llama_decode`` loop."""
    backend = _backend("llamacpp", 1, threads)
    try:
        (request,) = _requests(["Write a long story about a dragon and a knight."], 128)
        (response,) = backend.generate([request])
        meta = response["metadata"]
        engine_rate = meta["output_tokens"] / meta["generation_time_s"]
        model = backend.model
        model.forget_all()
        prompt = model.tokenize("Once upon a time")
        model.decode([(t, i, 0, i == len(prompt) - 1) for i, t in enumerate(prompt)])
        token, position = int(model.logits(len(prompt) - 1).argmax()), len(prompt)
        started = time.perf_counter()
        for _ in range(128):
            model.decode([(token, position, 0, True)])
            token, position = int(model.logits(0).argmax()), position + 1
        raw_rate = 128 / (time.perf_counter() - started)
        model.forget_all()
        return engine_rate, raw_rate
    finally:
        backend.close()


def ct2_single_stream(threads: int) -> float:
    """Tokens/s of one ctranslate2 request (128 new tokens), on its default replicas."""
    backend = _backend("ctranslate2", 1, threads)
    try:
        (request,) = _requests(["Write a long story about a dragon and a knight."], 128)
        backend.generate([request])  # warm-up
        (response,) = backend.generate([request])
        meta = response["metadata"]
        return float(meta["output_tokens"] / meta["generation_time_s"])
    finally:
        backend.close()


def sweep(threads: int) -> None:
    for batch in (8, 16, 32, 48, 100):
        print(
            f"sweep transformers batch {batch:3d}, {threads} threads: {in_process('transformers', batch, threads):6.2f} rows/s"
        )
    for compute_type in ("int8", "int8_float32", "float32"):
        for batch in (16, 32, 64, 100):
            rate = in_process("ctranslate2", batch, threads, compute_type)
            print(
                f"sweep ctranslate2 {compute_type:12s} batch {batch:3d}, {threads} threads: {rate:6.2f} rows/s"
            )
    for weights in ("native", "f16", "q8_0"):
        for batch in (1, 8, 16, 32, 64):
            rate = in_process("llamacpp", batch, threads, weights)
            print(f"sweep llamacpp {weights:6s} batch {batch:3d}, {threads} threads: {rate:6.2f} rows/s")
    if threads > 1:
        for weights in ("native", "f16"):
            rate = in_process("llamacpp", 16, 1, weights)
            print(f"sweep llamacpp {weights:6s} batch  16, 1 threads: {rate:6.2f} rows/s")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hf-batch", type=int, default=100)
    parser.add_argument("--ct2-batch", type=int, default=64)
    parser.add_argument("--ct2-compute-type", default="int8")
    parser.add_argument("--native-batch", type=int, default=16)
    parser.add_argument(
        "--threads", type=int, default=os.cpu_count() or 1, help="transformers' torch threads"
    )
    parser.add_argument(
        "--native-threads", type=int, default=None, help="llamacpp threads (default: its own)"
    )
    parser.add_argument(
        "--native-weights", default="f16", help="llamacpp's backend.weights (native: the file's Q4_1)"
    )
    parser.add_argument(
        "--versus", choices=("ctranslate2", "llamacpp"), default="ctranslate2", help="the ratio's (b)"
    )
    parser.add_argument("--sweep", action="store_true")
    args = parser.parse_args()
    if args.sweep:
        sweep(args.threads)
    engine_rate, raw_rate = single_stream(args.native_threads or max(1, (os.cpu_count() or 1) - 1))
    ct2_rate = ct2_single_stream(args.threads)

    root = tempfile.mkdtemp(prefix="byzer-bench-cpu-")
    config = EngineConfig(spark_master="local[2]", data_root=root, spark_conf={"spark.driver.memory": "2g"})
    with Engine(config) as engine:
        hf = through_sql(engine, "transformers", args.hf_batch, args.threads)
        ct2 = through_sql(
            engine, "ctranslate2", args.ct2_batch, args.threads, {"compute_type": args.ct2_compute_type}
        )
        native = through_sql(
            engine, "llamacpp", args.native_batch, args.native_threads, {"weights": args.native_weights}
        )

    native_threads = args.native_threads or "default"
    print(
        f"questions: {len(CAPITALS)} distinct, greedy, {NEW_TOKENS} new tokens, threads: transformers and "
        f"ctranslate2 {args.threads}, llamacpp {native_threads}; ctranslate2 {args.ct2_compute_type}, "
        f"llamacpp weights {args.native_weights}"
    )
    for label, batch, figures in (
        ("(a) transformers", args.hf_batch, hf),
        ("(b) ctranslate2", args.ct2_batch, ct2),
        ("(c) llamacpp", args.native_batch, native),
    ):
        print(
            f"{label:18s} batch {batch:3d}: {figures['rows_per_s']:6.2f} rows/s, {figures['tokens_per_s']:7.1f} "
            f"tokens/s, {figures['seconds']:.1f} s, accuracy {figures['accuracy']:.2f} (deploy {figures['deploy_s']:.1f} s)"
        )
    print(
        f"llamacpp single stream: {engine_rate:.1f} tokens/s (backend), {raw_rate:.1f} tokens/s (bare llama_decode loop)"
    )
    print(f"ctranslate2 single stream: {ct2_rate:.1f} tokens/s (backend, {args.threads} threads)")
    print(json.dumps({"transformers": hf, "ctranslate2": ct2, "llamacpp": native}))
    versus = ct2 if args.versus == "ctranslate2" else native
    print(f"accuracy: {hf['accuracy']:.2f} {versus['accuracy']:.2f}")
    print(f"ratio: {versus['rows_per_s'] / hf['rows_per_s']:.2f}")


if __name__ == "__main__":
    main()
