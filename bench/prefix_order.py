"""Prefix-aware ordering in the pool master: a table mixing a few long instructions, with and without.

Every row's prompt is one of ``--instructions`` distinct instructions of over 300 tokens each (a
reviewer's guidelines), followed by a short row field (a product review), and the rows come in a
random order. The same query runs through two pools of the packaged model that differ only in
``prefixOrder``: with it, the master sorts each batching window so that prompts sharing an
instruction are adjacent and cuts the workers' parts along those groups, and the backend computes a
part group by group, each instruction's KV once (transformers: ``shared_prefix``, the default here,
whose answers do not change; llamacpp: sequence sharing, ``llamacpp_decode``, whose greedy answers
may differ in a few tokens with their batch-mates); without it, each part mixes the instructions and
only the chat template is shared.

Prints the seconds of each side, the prompt tokens of a row, how many answers are identical and, as
its last line, ``ratio: X`` = seconds without ordering / seconds with (target >= 1.5).

    .venv/bin/python bench/prefix_order.py [--rows 64] [--instructions 4] [--max-length 8] [--backend transformers|llamacpp]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from typing import Any

from byzer_engine.runtime import Engine, EngineConfig

OWNER = "bench"
ASPECTS = (
    "delivery", "packaging", "price", "battery life", "screen", "sound", "comfort", "durability",
    "customer service", "instructions", "size", "weight", "colour", "smell", "taste", "setup",
)  # fmt: skip
PRODUCTS = ("kettle", "headphones", "backpack", "phone", "lamp", "blender", "jacket", "printer")
MOODS = ("loved", "hated", "did not mind", "was surprised by", "complained about", "praised")


def instruction(index: int) -> str:
    """A reviewer's guidelines of well over 300 tokens, different for each ``index``."""
    rng = random.Random(index)
    focus = rng.sample(ASPECTS, 8)
    lines = [
        f"You are review analyst number {index} of the quality team. Read the customer review below and",
        "answer with one word: positive, negative or mixed. Follow these guidelines exactly.",
    ]
    for n, aspect in enumerate(focus, 1):
        weight = rng.choice(("most", "some", "little", "no"))
        lines.append(
            f"{n}. Give {weight} weight to what the customer says about the {aspect}; a remark about the "
            f"{aspect} that is only a comparison with another {rng.choice(PRODUCTS)} counts for less, and a "
            f"remark that the {aspect} changed after a few weeks of use counts for more than a first impression."
        )
    lines.append("Do not explain your answer. Do not repeat the review. Answer with the one word only.")
    return "\n".join(lines)


def review(row: int) -> str:
    rng = random.Random(1000 + row)
    return (
        f"Review {row}: I {rng.choice(MOODS)} the {rng.choice(ASPECTS)} of this "
        f"{rng.choice(PRODUCTS)}, and the {rng.choice(ASPECTS)} was {rng.choice(('fine', 'poor', 'great'))}."
    )


def table_script(rows: int, instructions: int) -> str:
    rng = random.Random(7)
    picks = [rng.randrange(instructions) for _ in range(rows)]
    values = ", ".join(f"({row}, {pick})" for row, pick in enumerate(picks))
    guidelines = ", ".join(
        "'" + instruction(i).replace("'", "\\'").replace("\n", "\\n") + "'" for i in range(instructions)
    )
    return f"""
select id, concat(element_at(array({guidelines}), cast(pick + 1 as int)), '\\n\\n', review) as prompt
from (select id, pick, {_review_sql(rows)} as review from values {values} as t(id, pick)) as reviews;
"""


def _review_sql(rows: int) -> str:
    reviews = ", ".join("'" + review(row).replace("'", "\\'") + "'" for row in range(rows))
    return f"element_at(array({reviews}), cast(id + 1 as int))"


def deploy(engine: Engine, name: str, ordered: bool, backend: str) -> None:
    engine.run_script(
        f"""
!byzerllm setup single;
!byzerllm setup "maxConcurrency=2";
!byzerllm setup "prefixOrder={str(ordered).lower()}";
run command as LLM.`` where action="infer" and udfName="{name}" and pretrainedModelType="custom/auto"
  and infer_backend="{backend}" and cache="false";
""",
        owner=OWNER,
    )


def run(engine: Engine, name: str, rows: int, instructions: int, max_length: int) -> tuple[float, list[Any]]:
    script = table_script(rows, instructions) + (
        f"select id, llm_response_predict({name}(llm_param(map('instruction', prompt, 'temperature', '0', "
        f"'max_length', '{max_length}')))) as answer from reviews as answers;"
    )
    started = time.perf_counter()
    result = engine.run_script(script, owner=OWNER).rows
    elapsed = time.perf_counter() - started
    assert [r["id"] for r in result] == list(range(rows)), "the rows came back in another order"
    return elapsed, [r["answer"] for r in result]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=64)
    parser.add_argument("--instructions", type=int, default=4)
    parser.add_argument("--max-length", type=int, default=8)
    parser.add_argument("--backend", default="transformers", choices=("transformers", "llamacpp"))
    args = parser.parse_args()

    root = tempfile.mkdtemp(prefix="byzer-bench-prefix-")
    config = EngineConfig(spark_master="local[2]", data_root=root, spark_conf={"spark.driver.memory": "2g"})
    with Engine(config) as engine:
        sides = {"ordered": True, "unordered": False}
        times: dict[str, float] = {}
        answers: dict[str, list[Any]] = {}
        for label, ordered in sides.items():
            name = f"prefix_{label}"
            deploy(engine, name, ordered, args.backend)
            try:
                run(engine, name, 4, args.instructions, args.max_length)  # warm-up: Spark's workers, Ray
                times[label], answers[label] = run(
                    engine, name, args.rows, args.instructions, args.max_length
                )
            finally:
                engine.run_script(f"!byzerllm model remove {name};", owner=OWNER)
        prompt_chars = len(instruction(0)) + len(review(0)) + 2

    same = sum(a == b for a, b in zip(answers["ordered"], answers["unordered"], strict=True))
    print(
        f"backend: {args.backend}, rows: {args.rows} in random order over {args.instructions} instructions, "
        f"2 workers, greedy, max_length {args.max_length}"
    )
    print(f"a row's prompt: about {prompt_chars} characters (the instruction is over 300 tokens)")
    print(f"with prefix ordering:    {times['ordered']:7.2f} s ({args.rows / times['ordered']:.2f} rows/s)")
    print(
        f"without prefix ordering: {times['unordered']:7.2f} s ({args.rows / times['unordered']:.2f} rows/s)"
    )
    print(f"identical answers: {same}/{args.rows}")
    print(f"ratio: {times['unordered'] / times['ordered']:.2f}")


if __name__ == "__main__":
    main()
