"""The ``byzer`` command: ``check``, ``run`` and ``serve``, thin shells over the lang and runtime APIs."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="byzer",
    help="Run Byzer scripts on Spark, with LLMs served by Ray actors as SQL functions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register_commands() -> None:
    # Each command lives in its own module; importing it registers it on ``app``.
    from byzer_engine.cli import check, run, serve  # noqa: F401


def main() -> None:
    _register_commands()
    app()
