"""One registration style for every plugin kind (``byzer_engine.plugins``), and every registered
source and LLM backend documented."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import ClassVar

import pytest

from byzer_engine.plugins import BrokenPlugin, PluginRegistry, UnknownPlugin

DOCS = Path(__file__).resolve().parents[1] / "docs"


class Thing:
    name: ClassVar[str] = ""


def _package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str]) -> str:
    root = tmp_path / "plugpkg"
    root.mkdir()
    (root / "__init__.py").write_text("")
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    for module in [m for m in sys.modules if m.startswith("plugpkg")]:
        del sys.modules[module]
    return "plugpkg"


def test_a_new_module_is_a_new_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = _package(
        tmp_path,
        monkeypatch,
        {
            "one.py": f"from {__name__} import Thing\nclass Base(Thing):\n    name = ''\n"
            "class Alpha(Base):\n    name = 'Alpha'\n",
            "sub/__init__.py": "",
            "sub/two.py": f"from {__name__} import Thing\nclass Beta(Thing):\n    name = 'beta'\n",
            "_private.py": f"from {__name__} import Thing\nclass Hidden(Thing):\n    name = 'hidden'\n",
        },
    )
    registry: PluginRegistry[Thing] = PluginRegistry("things", Thing, (package,))
    assert registry.names() == ["Alpha", "beta"]  # nameless bases and _private modules are not plugins
    assert registry.get("alpha").__name__ == "Alpha"  # exact first, then case-insensitive
    assert registry.find("gamma") is None
    with pytest.raises(UnknownPlugin, match="unknown things 'gamma'; known: Alpha, beta"):
        registry.get("gamma")


def test_an_added_plugin_and_a_broken_entry_point(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib.metadata import EntryPoint

    registry: PluginRegistry[Thing] = PluginRegistry("things", Thing, ())

    class Mine(Thing):
        name = "Mine"

    registry.add(Mine)
    assert registry.get("Mine") is Mine
    registry._pending["Broken"] = EntryPoint("Broken", "no_such_module_xyz:Broken", "byzer_engine.things")
    with pytest.raises(BrokenPlugin, match="things 'Broken' could not be loaded: ModuleNotFoundError"):
        registry.get("Broken")
    entries = {entry.name: entry for entry in registry.entries()}
    assert entries["Mine"].plugin is Mine and entries["Broken"].error is not None


def test_every_kind_uses_the_one_registry() -> None:
    from byzer_engine.lang.macros import BUILTIN_MACROS
    from byzer_engine.llm.backends import REGISTRY as BACKENDS
    from byzer_engine.runtime.ets.registry import ETRegistry
    from byzer_engine.runtime.sources.registry import SourceRegistry

    assert isinstance(BUILTIN_MACROS, PluginRegistry) and isinstance(BACKENDS, PluginRegistry)
    assert isinstance(ETRegistry()._plugins, PluginRegistry)
    assert isinstance(SourceRegistry()._plugins, PluginRegistry)
    assert {"desc", "show", "assert", "fs"} <= set(BUILTIN_MACROS.names())
    assert {"transformers", "vllm", "saas/openai", "embedding", "qa"} <= set(BACKENDS.names())


def _documented(text: str, name: str) -> bool:
    return re.search(r"`[^`\n]*\b" + re.escape(name) + r"\b[^`\n]*`", text) is not None


def test_every_backend_is_documented() -> None:
    from byzer_engine.llm.backends import REGISTRY

    text = (DOCS / "llm.md").read_text()
    missing = [name for name in REGISTRY.names() if not _documented(text, name)]
    assert missing == [], f"LLM backends not named in docs/llm.md: {missing}"


def test_every_source_is_documented() -> None:
    from byzer_engine.runtime.sources.registry import SourceRegistry

    text = "\n".join(p.read_text() for p in DOCS.glob("*.md"))
    missing = [s.name for s in SourceRegistry().all() if not _documented(text, s.name)]
    assert missing == [], f"data sources not named in docs/: {missing}"


def test_a_backend_declares_how_deploy_picks_it() -> None:
    from byzer_engine.lang.errors import ByzerError
    from byzer_engine.llm.backends import backend_for, canonical_backend, infer_backend_names

    assert backend_for("causal", "transformers").name == "transformers"
    assert backend_for("causal", "ray/vllm").name == "vllm"
    assert backend_for("saas", "transformers").name == "saas/openai"  # the only one serving saas
    assert backend_for("qa", "transformers").name == "qa"
    assert canonical_backend("hf") == "transformers" and canonical_backend("saas") == "saas/openai"
    assert {"auto", "llamacpp", "transformers", "vllm", "saas"} <= set(infer_backend_names())
    with pytest.raises(ByzerError, match="unknown LLM backend 'tgi'"):
        canonical_backend("tgi")


def test_auto_gives_each_model_the_backend_ranking_it_highest(tmp_path: Path) -> None:
    from byzer_engine.llm.backends import backend_for
    from byzer_engine.llm.packaged import ModelLocation, default_model

    assert backend_for("causal", "auto", default_model()).name == "llamacpp"  # a GGUF file
    assert backend_for("causal", "auto", ModelLocation(str(tmp_path))).name == "transformers"  # a folder
    assert backend_for("causal", "llamacpp").name == "llamacpp"
    assert backend_for("embedding", "auto", default_model()).name == "embedding"  # the only one


def test_a_contracts_entry_points_are_loaded_once() -> None:
    from byzer_engine.llm.progress import SOURCE
    from byzer_engine.plugins import loaded_entry_points

    assert SOURCE in loaded_entry_points("byzer_engine.progress_sources")
    assert loaded_entry_points("byzer_engine.progress_sources") is loaded_entry_points(
        "byzer_engine.progress_sources"
    )
    assert loaded_entry_points("byzer_engine.no_such_contract") == ()
