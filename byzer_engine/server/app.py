"""The FastAPI application: Byzer's HTTP API and the OpenAI-compatible routes over one Engine."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from byzer_engine import __version__
from byzer_engine.runtime import Engine, EngineConfig
from byzer_engine.server import docs_routes, log_redaction
from byzer_engine.server.errors import install_error_handlers
from byzer_engine.server.openai_compat import routes as openai_routes
from byzer_engine.server.openai_compat.models import DeployedModels
from byzer_engine.server.routes import health, jobs, predict, script, usage
from byzer_engine.server.state import ServerSettings, ServerState

_DESCRIPTION = """\
Run Byzer scripts over HTTP (`POST /run/script`, form fields or JSON, with Byzer's field names),
manage jobs, apply deployed models to rows (`/model/predict`), and talk to deployed models with any
OpenAI client (`/v1/chat/completions`, `/v1/completions`, `/v1/models`).

With a token configured, every route but the health checks (and, unless configured otherwise, these
docs) needs `Authorization: Bearer TOKEN`.
"""


def create_app(
    config: EngineConfig,
    *,
    engine: Engine | None = None,
    settings: ServerSettings | None = None,
) -> FastAPI:
    """The app. Without ``engine`` it starts one from ``config`` in the background at startup."""
    state = ServerState(config, settings or ServerSettings(), engine)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        log_redaction.install()  # after uvicorn configured its loggers
        state.start_engine()
        state.watch_driver()
        try:
            yield
        finally:
            await state.close()

    app = FastAPI(
        title="byzer-engine",
        version=__version__,
        description=_DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    docs_routes.install(app, config.docs_need_token)
    log_redaction.install()
    app.state.byzer = state
    install_error_handlers(app)
    for module in (health, script, jobs, predict, usage):
        app.include_router(module.router)
    openai_routes.install(app, DeployedModels(config.ray_address))
    return app


__all__ = ["ServerSettings", "create_app"]
