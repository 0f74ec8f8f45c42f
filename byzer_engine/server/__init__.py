"""``byzer serve``: Byzer's HTTP API (and OpenAI-compatible routes) as a thin shell over the Engine."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from byzer_engine.server.app import create_app
    from byzer_engine.server.state import ServerSettings

__all__ = ["ServerSettings", "create_app"]


def __getattr__(name: str) -> Any:
    # Importing the package stays cheap (the CLI imports it to register `serve`); FastAPI and the
    # runtime load only when the app is built.
    if name == "create_app":
        from byzer_engine.server.app import create_app

        return create_app
    if name == "ServerSettings":
        from byzer_engine.server.state import ServerSettings

        return ServerSettings
    raise AttributeError(name)
