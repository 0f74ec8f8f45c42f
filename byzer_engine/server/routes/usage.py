"""``/usage``: the LLM functions' usage (``load _mlsql_.`llm_usage```), scoped like ``/runningjobs``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from byzer_engine.server.auth import principal_of, require_token
from byzer_engine.server.errors import SafeJSONResponse, as_byzer_error
from byzer_engine.server.state import ServerState

router = APIRouter(dependencies=[Depends(require_token)], tags=["jobs"])


def _rows(ray_address: str | None, owners: list[str] | None) -> list[dict[str, Any]]:
    from byzer_engine.llm import serving
    from byzer_engine.llm.usage import usage_rows

    if not serving.connect_if_available(ray_address):
        return []  # no Ray yet: nothing has been used
    return usage_rows(owners)


@router.api_route(
    "/usage",
    methods=["GET", "POST"],
    summary="LLM usage",
    description="One row per owner, job and LLM function: owner, job, model, requests, input_tokens, "
    "output_tokens, cache_hits, latency_ms; a token's holder sees its own owners' rows only.",
)
async def usage(request: Request) -> SafeJSONResponse:
    state: ServerState = request.app.state.byzer
    principal = principal_of(request)
    owners = None if principal.owners is None else sorted(principal.owners)
    try:
        rows = await state.run_control(_rows, state.config.ray_address, owners)
    except Exception as exc:
        raise as_byzer_error(exc) from None
    return SafeJSONResponse(rows)
