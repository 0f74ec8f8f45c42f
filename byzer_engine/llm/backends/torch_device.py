"""Where a torch backend runs: the GPU Ray reserved for its worker, or the CPU with a set thread count."""

from __future__ import annotations

import os


def pick_device(num_gpus: float) -> str:
    """``cuda`` when the worker reserved a GPU share and one is visible, else ``cpu``."""
    import torch

    if num_gpus > 0 and torch.cuda.is_available():
        return "cuda"
    return "cpu"


def set_cpu_threads(device: str, threads: int | None) -> None:
    """Ray sets OMP_NUM_THREADS to the worker's reserved CPUs; a model worker wants its share of cores."""
    if device != "cpu":
        return
    import torch

    torch.set_num_threads(max(1, threads or os.cpu_count() or 1))
