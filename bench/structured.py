"""Constrained (JSON schema) vs unconstrained decoding of the same rows, on the packaged model.

Both sides ask the same N prompts for a JSON object with a string, an integer and an array of
strings, greedy, with the same ``max_length`` and batch size, through ``TransformersBackend`` in this
process. The unconstrained side is told the schema in its prompt; each answer of either side counts
as valid when it parses as JSON and follows the schema (jsonschema). Prints each side's valid-output
rate and seconds and, as its last line, ``ratio: X.XX`` = constrained seconds / unconstrained seconds.

    .venv/bin/python bench/structured.py [--rows 24] [--batch-size 8] [--max-length 48]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

from byzer_engine.llm.backends.base import BackendConfig
from byzer_engine.llm.requests import LLMRequest, parse_request
from byzer_engine.llm.structured import FormatError, check_output

SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 20},
        "age": {"type": "integer", "minimum": 0, "maximum": 150},
        "hobbies": {"type": "array", "items": {"type": "string", "maxLength": 16}, "maxItems": 3},
    },
    "required": ["name", "age", "hobbies"],
    "additionalProperties": False,
}
NAMES = ("Ann", "Bo", "Cy", "Di", "Ed", "Flo", "Gus", "Hal", "Ivy", "Jo", "Kim", "Lu")
HOBBIES = ("chess", "tea", "golf", "music", "hiking", "films")


def prompts(count: int) -> list[str]:
    return [
        f"Describe {NAMES[i % len(NAMES)]}, aged {18 + i}, who likes {HOBBIES[i % len(HOBBIES)]}, as a JSON "
        f"object with the keys name (string), age (integer) and hobbies (list of strings). Answer with JSON only."
        for i in range(count)
    ]


def requests(texts: list[str], max_length: int, constrained: bool) -> list[LLMRequest]:
    out = []
    for text in texts:
        raw: dict[str, Any] = {"instruction": text, "temperature": "0", "max_length": str(max_length)}
        if constrained:
            raw["response_format"] = json.dumps(SCHEMA)
        out.append(parse_request(raw))
    return out


def valid(response: dict[str, Any]) -> bool:
    if "output" not in response:
        return False
    try:
        check_output(str(response["output"]), SCHEMA)
    except FormatError:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=24)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-length", type=int, default=48)
    parser.add_argument("--threads", type=int, default=min(4, os.cpu_count() or 1))
    args = parser.parse_args()

    from byzer_engine.llm.backends.hf import TransformersBackend

    backend = TransformersBackend(
        BackendConfig(
            backend="transformers",
            model_type="custom/auto",
            options={"batch_size": str(args.batch_size)},
            threads=args.threads,
        )
    )
    texts = prompts(args.rows)
    # One constrained row first, so the one-off tokenizer conversion is not timed.
    backend.generate(requests(texts[:1], 4, True))
    results: dict[str, tuple[float, float]] = {}
    for label, constrained in (("unconstrained", False), ("constrained", True)):
        started = time.perf_counter()
        answers = backend.generate(requests(texts, args.max_length, constrained))
        seconds = time.perf_counter() - started
        rate = sum(valid(a) for a in answers) / len(answers)
        results[label] = (seconds, rate)
        print(f"{label}: {len(answers)} rows in {seconds:.1f} s, valid JSON following the schema: {rate:.0%}")
    print(f"ratio: {results['constrained'][0] / results['unconstrained'][0]:.2f}")


if __name__ == "__main__":
    main()
