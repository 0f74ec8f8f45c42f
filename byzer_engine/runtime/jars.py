"""Finds the jars Spark needs: JDBC drivers in the system folder, every jar in the configured folders.

``/usr/share/java`` holds many unrelated libraries (logging bindings, an old guava) that would clash
with Spark's own, so only jars that declare a ``java.sql.Driver`` service are taken from it.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from byzer_engine.runtime.config import SYSTEM_JARS_DIR, EngineConfig

_DRIVER_SERVICE = "META-INF/services/java.sql.Driver"


def is_jdbc_driver(jar: Path) -> bool:
    try:
        with zipfile.ZipFile(jar) as archive:
            return _DRIVER_SERVICE in archive.namelist()
    except (OSError, zipfile.BadZipFile):
        return False


def find_jars(config: EngineConfig) -> list[str]:
    """Absolute jar paths, each real file once (Debian ships versioned names plus symlinks)."""
    seen: set[str] = set()
    jars: list[str] = []
    for folder in config.all_jars_dirs():
        root = Path(folder)
        if not root.is_dir():
            continue
        only_drivers = os.path.realpath(folder) == os.path.realpath(SYSTEM_JARS_DIR)
        for jar in sorted(root.glob("*.jar")):
            real = os.path.realpath(jar)
            if real in seen or not os.path.isfile(real):
                continue
            if only_drivers and not is_jdbc_driver(Path(real)):
                continue
            seen.add(real)
            jars.append(real)
    return jars
