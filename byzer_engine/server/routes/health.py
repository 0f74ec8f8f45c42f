"""Health checks: never behind the token, never waiting on a busy engine."""

from __future__ import annotations

from fastapi import APIRouter, Request

from byzer_engine.server.errors import SafeJSONResponse
from byzer_engine.server.protocol import Health
from byzer_engine.server.state import ServerState

router = APIRouter(tags=["health"])


@router.get("/health/liveness", response_model=Health, summary="The process answers")
async def liveness() -> SafeJSONResponse:
    return SafeJSONResponse(Health(status="ok").model_dump(exclude_none=True))


@router.get(
    "/health/readiness",
    response_model=Health,
    summary="The engine is up",
    responses={503: {"model": Health, "description": "starting, or failed to start"}},
)
async def readiness(request: Request) -> SafeJSONResponse:
    state: ServerState = request.app.state.byzer
    status, message = state.readiness()
    code = 200 if status == "ready" else 503
    return SafeJSONResponse(Health(status=status, message=message).model_dump(exclude_none=True), code)
