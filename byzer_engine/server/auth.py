"""Bearer-token auth and what a token may do.

``Authorization: Bearer TOKEN`` is the normal form; Byzer's own clients send ``access_token`` as a
query or form field, which is accepted too. No token: 401; a wrong one: 403.

Two kinds of token (``EngineConfig``): the server token (``--token``) is the admin token: it may act
as any owner and sees and kills every job. A per-owner token (``tokens`` / ``--tokens-file``) may act
only as the owners it lists: a request naming another owner is refused (403), and job listings and
kills reach only those owners' jobs. With no token configured at all, the server is open and every
caller is admin (``byzer serve`` warns when such a server listens beyond loopback).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import Request

from byzer_engine.lang.errors import ByzerAuthError
from byzer_engine.policy import ADMIN, Principal, token_principal
from byzer_engine.runtime.owner import check_owner_name
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


def principal_for(admin_token: str | None, tokens: dict[str, list[str]], presented: str | None) -> Principal:
    """The principal a presented token stands for (``policy.token_principal``); 401/403 when none."""
    if not admin_token and not tokens:
        return ADMIN
    if presented is None:
        raise Unauthorized("this server requires a token: send 'Authorization: Bearer TOKEN'")
    found = token_principal(admin_token, tokens, presented)
    if found is None:
        raise ByzerAuthError("the token is not valid")
    return found


def check_token(expected: str | None, presented: str | None) -> None:
    principal_for(expected, {}, presented)


async def require_token(request: Request) -> Principal:
    """FastAPI dependency for the Byzer routes: the caller's principal (kept on ``request.state``)."""
    config = request.app.state.byzer.config
    principal = principal_for(config.token, config.tokens, await presented_token(request))
    request.state.principal = principal
    return principal


def principal_of(request: Request) -> Principal:
    """The principal ``require_token`` found for this request."""
    principal: Principal = getattr(request.state, "principal", ADMIN)
    return principal


def owner_home(request: Request, owner: str) -> Path:
    """The home folder of ``owner`` (``DATA_ROOT/OWNER``) for a caller that may act as that owner.

    The owner name follows the one owner-name rule and the caller's token must name it (403 otherwise),
    so a route that stores files for an owner (the console's notebooks) never leaves that owner's home.
    """
    check_owner_name(owner)
    principal_of(request).require_owner(owner)
    config = request.app.state.byzer.config
    explicit = config.owner_homes.get(owner)
    return Path(explicit or Path(config.data_root) / owner).expanduser().resolve()
