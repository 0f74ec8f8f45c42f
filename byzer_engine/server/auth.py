"""Bearer-token auth: with a token configured, every endpoint but the health checks requires it.

``Authorization: Bearer TOKEN`` is the normal form; Byzer's own clients send ``access_token`` as a
query or form field, which is accepted too. No token: 401; a wrong one: 403.
"""

from __future__ import annotations

import hmac

from fastapi import Request

from byzer_engine.lang.errors import ByzerAuthError
from byzer_engine.server.errors import BadRequest, Unauthorized
from byzer_engine.server.params import read_params


async def presented_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if header:
        return None
    # Reading the body here is safe: Starlette caches it for the route.
    try:
        params = await read_params(request)
    except BadRequest:
        return None
    token = params.get("access_token")
    return str(token) if token else None


def check_token(expected: str | None, presented: str | None) -> None:
    if not expected:
        return
    if presented is None:
        raise Unauthorized("this server requires a token: send 'Authorization: Bearer TOKEN'")
    if not hmac.compare_digest(presented.encode(), expected.encode()):
        raise ByzerAuthError("the token is not valid")


async def require_token(request: Request) -> None:
    """FastAPI dependency for the Byzer routes."""
    expected: str | None = request.app.state.byzer.config.token
    if expected:
        check_token(expected, await presented_token(request))
