"""Where an async job's callback may go: not to this machine or its private networks, by default.

A callback is a request the server makes on a client's behalf; without a check, any token holder
could make the server call its own loopback services, the cloud metadata address (169.254.169.254) or
hosts of the private network behind it. Unless ``EngineConfig.allow_private_callbacks`` is set, a
callback URL must be http(s) and every address its host resolves to must be public: loopback,
link-local, private (RFC 1918, ULA), carrier-grade NAT, multicast, reserved and unspecified
addresses are refused. The check runs when the job is accepted and again before each delivery (a
name may resolve differently later), and deliveries do not follow redirects.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from byzer_engine.lang.errors import ByzerAuthError
from byzer_engine.server.errors import BadRequest

_CGNAT = ipaddress.ip_network("100.64.0.0/10")


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return False
    return not (
        ip.is_loopback
        or ip.is_link_local
        or ip.is_private
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def _addresses(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise BadRequest(f"callback host {host!r} cannot be resolved: {exc}") from None
    return sorted({str(info[4][0]) for info in infos})


def check_callback_url(url: str, allow_private: bool) -> None:
    """Raises ``BadRequest`` for a malformed URL, ``ByzerAuthError`` for a refused address."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise BadRequest("callback must be an http:// or https:// URL with a host")
    if allow_private:
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise BadRequest("callback URL has an invalid port") from None
    for address in _addresses(parts.hostname, port):
        if not _is_public(address):
            raise ByzerAuthError(
                f"callback to {parts.hostname} ({address}) is refused: it is a loopback, link-local or "
                "private address (set allow_private_callbacks in the server's configuration to allow it)"
            )


async def check_callback_url_async(url: str, allow_private: bool) -> None:
    """``check_callback_url`` without blocking the event loop on DNS."""
    await asyncio.get_running_loop().run_in_executor(None, check_callback_url, url, allow_private)
