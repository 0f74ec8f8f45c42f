"""Byzer Notebook: the browser console that ``byzer serve`` serves at ``/``.

The console is a thin client: the browser runs every cell through the server's own HTTP API
(``/run/script``, ``/killjob``, ``/runningjobs``, ``/v1/chat/completions``). This package adds only
what a browser cannot do alone: notebook storage in the owner's home (``storage``), the read-only
example notebooks (``examples``), and the routes that serve both and the built front end (``routes``).
``create_console_app`` is the server's app factory plus those routes.
"""

from __future__ import annotations

from byzer_engine.console.app import create_console_app

__all__ = ["create_console_app"]
