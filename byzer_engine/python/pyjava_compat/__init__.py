"""The pyjava API Byzer scripts import (``from pyjava.api.mlsql import RayContext, PythonContext``).

It ships inside this package under its own name. ``install_alias`` maps the module names ``pyjava``,
``pyjava.api`` and ``pyjava.api.mlsql`` onto these modules in ``sys.modules`` of the one process that
calls it: the Ray worker processes that run user code (``byzer_engine.python.servers``). No top-level
``pyjava`` package is installed, so a machine where another ``pyjava`` is installed keeps it
everywhere else (the engine, the server, the user's own Python).
"""

from __future__ import annotations

import sys

ALIASES = ("pyjava", "pyjava.api", "pyjava.api.mlsql")


def install_alias() -> None:
    """In this process only: ``import pyjava...`` gives these modules."""
    from byzer_engine.python.pyjava_compat import api
    from byzer_engine.python.pyjava_compat.api import mlsql

    sys.modules["pyjava"] = sys.modules[__name__]
    sys.modules["pyjava.api"] = api
    sys.modules["pyjava.api.mlsql"] = mlsql


__all__ = ["ALIASES", "install_alias"]
