"""The runtime finds the LLM ETs through entry points; importing them must not pull in the model stack."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("torch", "transformers", "ray", "peft", "vllm")


def test_importing_the_llm_ets_loads_no_model_stack() -> None:
    probe = (
        "import json, sys\n"
        "import byzer_engine.llm.et as et\n"
        "assert et.LLMET.name == 'LLM' and et.ByzerLLMCommandET.name == 'ByzerLLM'\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


def test_the_ets_are_registered_as_entry_points() -> None:
    from importlib.metadata import entry_points

    names = {ep.name: ep.value for ep in entry_points(group="byzer_engine.ets")}
    assert names["LLM"] == "byzer_engine.llm.et:LLMET"
    assert names["ByzerLLM"] == "byzer_engine.llm.et:ByzerLLMCommandET"
    assert names["LLMQABuilder"] == "byzer_engine.llm.et:LLMQABuilderET"
