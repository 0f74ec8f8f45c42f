"""Byzer-python plugs in through entry points, cheaply, and never installs a top-level ``pyjava``."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import entry_points

HEAVY = ("ray", "pyarrow", "pandas", "torch")


def test_plugins_are_entry_points() -> None:
    ets = {ep.name: ep.value for ep in entry_points(group="byzer_engine.ets")}
    assert ets["Ray"] == "byzer_engine.python.et:RayET"
    assert ets["PythonCommand"] == "byzer_engine.python.settings:PythonCommand"
    macros = {ep.name: ep.value for ep in entry_points(group="byzer_engine.macros")}
    assert macros["python"] == "byzer_engine.python.macros:PythonMacro"
    assert macros["ray"] == "byzer_engine.python.macros:RayMacro"


def test_importing_the_plugins_loads_no_heavy_module() -> None:
    probe = (
        "import json, sys\n"
        "import byzer_engine.python.et, byzer_engine.python.settings, byzer_engine.python.macros\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


def test_no_top_level_pyjava_is_installed_and_the_alias_is_per_process() -> None:
    probe = (
        "import importlib.util, sys\n"
        "assert importlib.util.find_spec('pyjava') is None\n"
        "from byzer_engine.python.pyjava_compat import install_alias\n"
        "install_alias()\n"
        "from pyjava.api.mlsql import RayContext, PythonContext\n"
        "print(RayContext.__module__)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "byzer_engine.python.pyjava_compat.api.mlsql"
