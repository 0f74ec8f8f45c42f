"""Fixtures of the security tests: real ``byzer serve`` processes (see sec_server_fixtures.py)."""

from sec_server_fixtures import admin, alice, bob, sec_server  # noqa: F401
