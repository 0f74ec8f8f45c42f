"""Login: the user name is the owner, the password is the server token.

Clients log in with ``mysql_native_password`` (what every MySQL client speaks out of the box): the
client proves it knows the password without sending it, so the server checks the scramble against
each token that may act as the owner. ``tokens_for`` is the one place that says which tokens those
are. With no token configured, any password is accepted, from loopback clients only.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from mysql_mimic import IdentityProvider, NativePasswordAuthPlugin, User
from mysql_mimic.auth import AuthPlugin

from byzer_engine.policy import tokens_for_owner
from byzer_engine.runtime.owner import check_owner_name


def tokens_for(config: Any, owner: str) -> list[str] | None:
    """The passwords that may log in as ``owner`` (the policy's: the server token, and the per-owner
    tokens that list the owner); None when the engine has no token (open, loopback only)."""
    return tokens_for_owner(config)(owner)


def is_loopback(peer: Any) -> bool:
    """Whether a socket peer (``(host, port, ...)`` or a unix socket path) is this machine."""
    if not isinstance(peer, tuple) or not peer:
        return isinstance(peer, str)  # a unix socket is local
    try:
        return ipaddress.ip_address(str(peer[0]).split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def valid_owner(name: str) -> bool:
    try:
        check_owner_name(name)
    except Exception:
        return False
    return True


class TokenPasswordPlugin(NativePasswordAuthPlugin):
    """``mysql_native_password`` checked against the tokens of ``tokens_for``."""

    def __init__(self, config: Any) -> None:
        self.config = config

    def password_matches(self, user: User, scramble: bytes, nonce: bytes) -> bool:
        if not valid_owner(user.name):
            return False
        tokens = tokens_for(self.config, user.name)
        if tokens is None:
            return True
        return any(self.verify_scramble(self.create_auth_string(token), scramble, nonce) for token in tokens)


class OwnerIdentityProvider(IdentityProvider):
    """Every user name is an owner; the password plugin decides."""

    def __init__(self, config: Any) -> None:
        self._plugin = TokenPasswordPlugin(config)

    def get_plugins(self) -> list[AuthPlugin]:
        return [self._plugin]

    async def get_user(self, username: str) -> User | None:
        return User(name=username, auth_plugin=self._plugin.name)
