"""Resolves user paths for one owner: relative paths live in the owner's home folder.

With ``allow_any_path`` off, a path that leaves the home (``..``, an absolute path elsewhere, a
symlink out, a remote file system) is refused with ``ByzerAuthError``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from byzer_engine.lang.errors import ByzerAuthError

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):(.*)$", re.S)


@dataclass(frozen=True)
class PathResolver:
    home: str
    allow_any_path: bool
    # Prefix for relative paths of one request (``defaultPathPrefix``); itself relative to the home.
    prefix: str | None = None

    def resolve(self, path: str) -> str:
        path = path.strip()
        match = _SCHEME.match(path)
        if match and len(match.group(1)) > 1:  # "C:" style drive letters are not schemes
            scheme, rest = match.group(1).lower(), match.group(2)
            if scheme != "file":
                if not self.allow_any_path:
                    raise ByzerAuthError(f"path '{path}' is outside your home folder")
                return path
            path = "/" + rest.lstrip("/") if rest.startswith("/") else rest
        base = self.home
        if self.prefix:
            base = self._join_checked(self.home, os.path.expanduser(self.prefix))
        return self._join_checked(base, os.path.expanduser(path))

    def _join_checked(self, base: str, path: str) -> str:
        full = os.path.normpath(os.path.join(base, path)) if path else os.path.normpath(base)
        if not self.allow_any_path and not _inside(full, self.home):
            raise ByzerAuthError(f"path '{path}' is outside your home folder")
        return full


def _inside(path: str, home: str) -> bool:
    real_home = os.path.realpath(home)
    real = os.path.realpath(path)
    return real == real_home or real.startswith(real_home.rstrip(os.sep) + os.sep)
