"""``/docs``, ``/redoc`` and ``/openapi.json`` behind the same token as every other route.

With ``EngineConfig.docs_need_token`` (the default) they answer 401/403 like ``/run/script``; a
browser passes the token as ``?access_token=TOKEN`` (the page then fetches the schema with it). The
token never reaches a log: ``log_redaction`` masks it in the access log.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from byzer_engine.server.auth import presented_token, require_token


def install(app: FastAPI, need_token: bool) -> None:
    dependencies: list[Any] = [Depends(require_token)] if need_token else []

    async def schema_url(request: Request) -> str:
        token = await presented_token(request) if need_token else None
        return "/openapi.json" + (f"?access_token={quote(token)}" if token else "")

    @app.get("/openapi.json", include_in_schema=False, dependencies=dependencies)
    async def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False, dependencies=dependencies)
    async def swagger(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=await schema_url(request), title=f"{app.title} - API")

    @app.get("/redoc", include_in_schema=False, dependencies=dependencies)
    async def redoc(request: Request) -> HTMLResponse:
        return get_redoc_html(openapi_url=await schema_url(request), title=f"{app.title} - ReDoc")
