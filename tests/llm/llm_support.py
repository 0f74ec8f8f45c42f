"""Helpers shared by the LLM tests (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from byzer_engine.runtime import Engine

CHAT = "chat"
# Questions with one known answer word, for the backends' own tests.
CAPITALS = (
    ("France", "Paris"), ("Japan", "Tokyo"), ("Italy", "Rome"),
    ("Germany", "Berlin"), ("Spain", "Madrid"), ("Egypt", "Cairo"),
)  # fmt: skip
OWNER = "llm_tests"
QUESTIONS_CSV = Path(__file__).resolve().parents[2] / "examples" / "data" / "questions.csv"

DEPLOY_CHAT = f"""
!byzerllm setup single;
!byzerllm setup "maxConcurrency=2";
run command as LLM.`` where action="infer" and udfName="{CHAT}" and pretrainedModelType="custom/auto"
  and modelTable="command" and reconnect="false" and backend.n_ctx="2048";
"""


@dataclass(frozen=True)
class ChatModel:
    """The deployed test model, and the owner whose Spark session has its function registered."""

    engine: Engine
    name: str = CHAT
    owner: str = OWNER

    def run(self, script: str, **kwargs: Any) -> list[dict[str, Any]]:
        kwargs.setdefault("owner", self.owner)
        rows: list[dict[str, Any]] = self.engine.run_script(script, **kwargs).rows
        return rows

    def stats(self, name: str | None = None) -> dict[str, Any]:
        from byzer_engine.llm.pool import client

        info = client.describe(name or self.name)
        assert info is not None, f"no pool named {name or self.name}"
        return info


def ask(instruction: str, **fields: str) -> dict[str, Any]:
    """A greedy request of at most 16 new tokens."""
    return {"instruction": instruction, "temperature": "0", "max_length": "16", **fields}


def capital(country: str) -> dict[str, Any]:
    return ask(f"What is the capital of {country}? Answer with the city name only.")
