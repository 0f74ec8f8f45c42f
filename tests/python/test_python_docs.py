"""Every ``byzer`` block of docs/python.md runs and returns the rows of the ``json`` block after it."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest

from byzer_engine.runtime import Engine

DOC = Path(__file__).resolve().parents[2] / "docs" / "python.md"
_BLOCK = re.compile(r"```(byzer|json)\n(.*?)```", re.S)


def examples() -> list[tuple[str, list[dict[str, object]]]]:
    blocks = _BLOCK.findall(DOC.read_text())
    pairs: list[tuple[str, list[dict[str, object]]]] = []
    for (kind, text), (next_kind, next_text) in itertools.pairwise(blocks):
        if kind == "byzer":
            assert next_kind == "json", f"a byzer block without its json block:\n{text}"
            pairs.append((text, json.loads(next_text)))
    return pairs


EXAMPLES = examples()


def test_the_doc_has_examples() -> None:
    assert len(EXAMPLES) >= 8


@pytest.mark.usefixtures("ray_address")
@pytest.mark.parametrize(("index", "script", "expected"), [(i, s, e) for i, (s, e) in enumerate(EXAMPLES)])
def test_doc_example(engine: Engine, index: int, script: str, expected: list[dict[str, object]]) -> None:
    assert engine.run_script(script, owner=f"py_docs_{index}").rows == expected
