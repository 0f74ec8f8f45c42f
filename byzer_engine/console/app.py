"""The server's app with the console's routes installed (what ``byzer serve`` runs)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from byzer_engine.console import routes
from byzer_engine.server.app import create_app

if TYPE_CHECKING:
    from fastapi import FastAPI


def create_console_app(config: Any, **options: Any) -> FastAPI:
    """``server.app.create_app(config, **options)`` with the notebook console at ``/``."""
    app = create_app(config, **options)
    routes.install(app)
    return app
