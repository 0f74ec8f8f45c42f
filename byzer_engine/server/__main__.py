"""``python -m byzer_engine.server [OPTIONS]``: the same as ``byzer serve``."""

from __future__ import annotations

import typer

from byzer_engine.cli.serve import serve

if __name__ == "__main__":
    typer.run(serve)
