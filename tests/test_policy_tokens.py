"""What one token may do: the policy's one answer, used by the HTTP server and the MySQL login."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from byzer_engine.lang.errors import ByzerAuthError
from byzer_engine.policy import ADMIN, token_principal, tokens_for_owner

TOKENS = {"alice-t": ["alice"], "team-t": ["alice", "bob"], "ops-t": ["*"]}


def test_the_server_token_is_the_admin_and_owner_tokens_act_as_their_owners() -> None:
    assert token_principal("admin-t", TOKENS, "admin-t") is ADMIN
    assert token_principal("admin-t", TOKENS, "ops-t") is ADMIN
    alice = token_principal("admin-t", TOKENS, "alice-t")
    assert alice is not None and alice.may_act_as("alice") and not alice.may_act_as("bob")
    with pytest.raises(ByzerAuthError, match="may not act as owner 'bob'"):
        alice.require_owner("bob")
    assert token_principal("admin-t", TOKENS, "nope") is None
    assert token_principal(None, {}, "anything") is None


def test_a_login_checks_the_tokens_that_may_act_as_the_owner() -> None:
    candidates = tokens_for_owner(SimpleNamespace(token="admin-t", tokens=TOKENS))
    assert sorted(candidates("alice") or []) == ["admin-t", "alice-t", "ops-t", "team-t"]
    assert sorted(candidates("bob") or []) == ["admin-t", "ops-t", "team-t"]
    assert candidates("carol") == ["admin-t", "ops-t"]
    assert tokens_for_owner(SimpleNamespace(token=None, tokens={}))("alice") is None
