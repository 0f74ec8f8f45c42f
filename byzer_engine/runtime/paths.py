"""Resolves user paths for one owner: relative paths live in the owner's home folder.

With ``rooted`` (always on the server), a path beginning with ``/`` lives in the home too, as
Byzer's path prefix makes it: ``/tmp/x`` is ``HOME/tmp/x`` (a path already inside the home stays as
it is, so resolving twice changes nothing); only an explicit ``file://`` path is absolute. Without it
(the CLI, unless configured), absolute paths stay absolute.

With ``allow_any_path`` off, a path that leaves the home (``..``, an absolute ``file://`` path
elsewhere, a symlink out, a remote file system) is refused with ``ByzerAuthError``.
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
    # Paths beginning with "/" (and "~") live in the home (see above).
    rooted: bool = False

    def resolve(self, path: str) -> str:
        path = path.strip()
        explicit = False
        match = _SCHEME.match(path)
        if match and len(match.group(1)) > 1:  # "C:" style drive letters are not schemes
            scheme, rest = match.group(1).lower(), match.group(2)
            if scheme != "file":
                if not self.allow_any_path:
                    raise ByzerAuthError(f"path '{path}' is outside your home folder")
                return path
            path = "/" + rest.lstrip("/") if rest.startswith("/") else rest
            explicit = True
        base = self.home
        if self.prefix:
            base = self._join_checked(self.home, self._in_home(self.prefix))
        if explicit:
            return self._join_checked(base, path)
        return self._join_checked(base, self._in_home(path))

    def _in_home(self, path: str) -> str:
        """``path`` as the home-relative path it means when rooted (else with ``~`` expanded)."""
        if not self.rooted:
            return os.path.expanduser(path)
        if path == "~" or path.startswith("~/"):
            return path[2:]
        if os.path.isabs(path) and not _written_inside(path, self.home):
            return path.lstrip("/")
        return path

    def _join_checked(self, base: str, path: str) -> str:
        full = os.path.normpath(os.path.join(base, path)) if path else os.path.normpath(base)
        if not self.allow_any_path and not _inside(full, self.home):
            raise ByzerAuthError(f"path '{path}' is outside your home folder")
        return full


def _inside(path: str, home: str) -> bool:
    real_home = os.path.realpath(home)
    real = os.path.realpath(path)
    return real == real_home or real.startswith(real_home.rstrip(os.sep) + os.sep)


def _written_inside(path: str, home: str) -> bool:
    """Whether ``path`` as written names a place in ``home`` (links are not followed: a link out of
    the home is caught when the joined path is checked)."""
    written, base = os.path.normpath(path), os.path.normpath(home)
    return written == base or written.startswith(base.rstrip(os.sep) + os.sep)
