"""What a job leaves under ``<home>/finetune/<name>/``: the adapter (with ``byzer_base.json`` naming its
base model, so ``action="infer"`` can load it), ``train_log.json``, ``loss.png`` and ``job.json``."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

BASE_FILE = "byzer_base.json"


def write_base_reference(adapter_dir: str, directory: str, gguf_file: str | None) -> None:
    """Where the adapter's base model lives; model loaders read this before adapter_config.json."""
    Path(adapter_dir, BASE_FILE).write_text(
        json.dumps({"directory": directory, "gguf_file": gguf_file}, indent=2) + "\n"
    )


def read_base_reference(adapter_dir: str) -> tuple[str, str | None] | None:
    path = Path(adapter_dir, BASE_FILE)
    if not path.is_file():
        return None
    data = json.loads(path.read_text())
    return str(data["directory"]), data.get("gguf_file")


def write_json(path: str, value: Any) -> None:
    target = Path(path)
    partial = target.with_suffix(target.suffix + ".partial")
    partial.write_text(json.dumps(value, indent=2, default=str) + "\n")
    partial.replace(target)  # readers never see half a file


def remove_if_empty(folder: str) -> None:
    try:
        Path(folder).rmdir()
    except OSError:
        pass  # absent, or holds checkpoints the user asked for


def plot_loss(path: str, log: Sequence[Mapping[str, Any]], title: str) -> bool:
    """A PNG of loss per step; False when there is nothing to plot."""
    points = [(entry["step"], entry["loss"]) for entry in log if entry.get("loss") is not None]
    if not points:
        return False
    import matplotlib

    matplotlib.use("Agg")  # files only: workers have no display
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(7, 4), dpi=100)
    try:
        steps, losses = zip(*points, strict=True)
        axes.plot(steps, losses, marker="o" if len(points) < 40 else None, linewidth=1.5)
        axes.set_xlabel("step")
        axes.set_ylabel("training loss")
        axes.set_title(title)
        axes.grid(True, alpha=0.3)
        figure.tight_layout()
        figure.savefig(path)
    finally:
        pyplot.close(figure)
    return True
