"""The engine's configuration, read from one place.

Precedence: explicit overrides (CLI flags, constructor arguments) > ``BYZER_*`` environment variables >
a TOML config file (``BYZER_CONFIG`` or an explicit path) > defaults that run embedded on one machine.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from byzer_engine.booleans import parse_bool
from byzer_engine.lang.errors import ByzerError

SYSTEM_JARS_DIR = "/usr/share/java"


def _default_data_root() -> str:
    return str(Path(".byzer").resolve())


@dataclass(frozen=True)
class EngineConfig:
    """Everything the engine needs to know about where it runs and what it may do."""

    # ``local[*]`` (embedded), any Spark master URL (``spark://host:7077``, ``yarn``), or a Spark
    # Connect URL (``sc://host:15002``).
    spark_master: str = "local[*]"
    spark_conf: dict[str, str] = field(default_factory=dict)
    ray_address: str | None = None
    # Owners' home folders live under this folder (``<data_root>/<owner>``) unless ``owner_homes``
    # names one explicitly.
    data_root: str = field(default_factory=_default_data_root)
    # Extra folders whose jars are added to Spark (``/usr/share/java`` is always searched for JDBC drivers).
    jars_dirs: list[str] = field(default_factory=list)
    # The security switches; ``byzer_engine.policy.Policy`` is what reads them.
    allow_shell: bool = False
    allow_code: bool = True
    allow_any_path: bool = True
    # Brackets/subqueries nested deeper than this in any SQL are refused before Spark parses it.
    sql_max_depth: int = 64
    token: str | None = None
    # Explicit home folders for some owners (the CLI maps its owner to the current directory).
    owner_homes: dict[str, str] = field(default_factory=dict)
    # Where Spark's own log goes; None = ``<tmp>/byzer-engine/spark.log``. Spark never logs to the
    # terminal unless ``log_to_console`` is set (``byzer run --debug``).
    log_file: str | None = None
    log_to_console: bool = False
    log_level: str = "WARN"
    # ``hive.`db.t` `` tables in Spark's Hive catalog: an embedded metastore under ``data_root``
    # (``metastore_db``), or the external one at ``hive_metastore_uris`` (``thrift://host:9083``).
    hive_support: bool = False
    hive_metastore_uris: str | None = None
    # Per-owner tokens: token -> the owners it may act as ("*": any owner). ``token`` stays the admin
    # token (any owner, every job). Read from a ``[tokens]`` table of the config file or from
    # ``tokens_file`` (a TOML file of ``"TOKEN" = ["owner", ...]`` lines).
    tokens: dict[str, list[str]] = field(default_factory=dict)
    tokens_file: str | None = None
    # Owners kept apart: each owner sees and kills only its own jobs, has its own catalog database
    # (``owner_<name>``) and may not name another database or global temp views. On for ``byzer serve``.
    isolate_owners: bool = False
    # Server bounds: the most rows one request may ask for (``outputSize`` above it is cut to it), and
    # the wall-clock budget and size caps of template rendering (``${}``, ``#set``, ``#foreach``).
    max_output_size: int = 100_000
    template_budget_s: float = 5.0
    template_max_chars: int = 5_000_000
    template_max_iterations: int = 1_000_000
    # Async callbacks to loopback, link-local or private addresses are refused unless this is set.
    allow_private_callbacks: bool = False
    # A client that disconnects before its (synchronous) script ends cancels the job.
    cancel_on_disconnect: bool = True
    # Paths beginning with "/" live in the owner's home, as Byzer's path prefix makes them (only an
    # explicit ``file://`` path is absolute). On for ``byzer serve``; off for ``byzer run`` unless set.
    rooted_paths: bool = False
    # Tasks of a cancelled job still running this long after the cancel end the driver JVM (a new
    # one takes over; see runtime/stuck_tasks.py); 0: never.
    stuck_task_grace_s: float = 30.0
    # Whether /docs, /redoc and /openapi.json need the token like every other route.
    docs_need_token: bool = True
    # The address the embedded Spark driver and Ray bind to; None: loopback unless the master or
    # Ray address names a cluster.
    bind_host: str | None = None

    @classmethod
    def load(cls, config_file: str | None = None, **overrides: Any) -> EngineConfig:
        """Merge overrides > BYZER_* env > TOML file > defaults; ``None`` overrides are ignored."""
        known = {f.name for f in fields(cls)}
        unknown = set(overrides) - known
        if unknown:
            raise ByzerError(f"unknown engine setting(s): {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {}
        path = config_file or os.environ.get("BYZER_CONFIG")
        if path:
            values.update(_read_toml(path, known))
        values.update(_read_env())
        values.update({k: v for k, v in overrides.items() if v is not None})
        if "jars_dirs" in values and isinstance(values["jars_dirs"], str):
            values["jars_dirs"] = _split_dirs(values["jars_dirs"])
        if "data_root" in values:
            values["data_root"] = str(Path(values["data_root"]).expanduser().resolve())
        if values.get("tokens_file"):
            values["tokens"] = {**read_tokens_file(values["tokens_file"]), **values.get("tokens", {})}
        if "tokens" in values:
            values["tokens"] = _check_tokens(values["tokens"], "tokens")
        return cls(**values)

    @property
    def is_connect(self) -> bool:
        """Whether the master is a Spark Connect URL (no JVM in this process)."""
        return self.spark_master.startswith("sc://")

    @property
    def is_local(self) -> bool:
        return self.spark_master.startswith("local")

    def all_jars_dirs(self) -> list[str]:
        dirs = list(self.jars_dirs)
        if SYSTEM_JARS_DIR not in dirs:
            dirs.append(SYSTEM_JARS_DIR)
        return dirs


_ENV_KEYS: dict[str, str] = {
    "BYZER_SPARK_MASTER": "spark_master",
    "BYZER_RAY_ADDRESS": "ray_address",
    "BYZER_DATA_ROOT": "data_root",
    "BYZER_JARS_DIR": "jars_dirs",
    "BYZER_ALLOW_SHELL": "allow_shell",
    "BYZER_ALLOW_CODE": "allow_code",
    "BYZER_ALLOW_ANY_PATH": "allow_any_path",
    "BYZER_TOKEN": "token",
    "BYZER_SQL_MAX_DEPTH": "sql_max_depth",
    "BYZER_HIVE_SUPPORT": "hive_support",
    "BYZER_HIVE_METASTORE_URIS": "hive_metastore_uris",
    "BYZER_TOKENS_FILE": "tokens_file",
    "BYZER_ISOLATE_OWNERS": "isolate_owners",
    "BYZER_ALLOW_PRIVATE_CALLBACKS": "allow_private_callbacks",
    "BYZER_ROOTED_PATHS": "rooted_paths",
}
_BOOL_KEYS = {
    "allow_shell",
    "allow_code",
    "allow_any_path",
    "log_to_console",
    "hive_support",
    "isolate_owners",
    "allow_private_callbacks",
    "rooted_paths",
}


def _parse_int(name: str, text: str) -> int:
    try:
        return int(text.strip())
    except ValueError as exc:
        raise ByzerError(f"{name} must be a whole number, not {text!r}") from exc


def _split_dirs(text: str) -> list[str]:
    return [p for p in text.replace(",", os.pathsep).split(os.pathsep) if p]


def _read_env() -> dict[str, Any]:
    values: dict[str, Any] = {}
    for env_name, key in _ENV_KEYS.items():
        raw = os.environ.get(env_name)
        if raw is None:
            continue
        values[key] = parse_bool(env_name, raw) if key in _BOOL_KEYS else raw
        if key == "sql_max_depth":
            values[key] = _parse_int(env_name, raw)
    return values


def _read_toml(path: str, known: set[str]) -> dict[str, Any]:
    """Reads a config file: top-level keys named like the fields, plus a ``[spark_conf]`` table."""
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError as exc:
        raise ByzerError(f"config file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ByzerError(f"config file {path} is not valid TOML: {exc}") from exc
    # Accept both a flat file and one with an [engine] table.
    data = {**data.get("engine", {}), **{k: v for k, v in data.items() if k != "engine"}}
    unknown = set(data) - known
    if unknown:
        raise ByzerError(f"config file {path}: unknown setting(s): {', '.join(sorted(unknown))}")
    if "spark_conf" in data:
        data["spark_conf"] = {str(k): str(v) for k, v in data["spark_conf"].items()}
    return data


def _check_tokens(raw: Any, where: str) -> dict[str, list[str]]:
    if not isinstance(raw, dict):
        raise ByzerError(f"{where}: expected a table of TOKEN = [owners]")
    tokens: dict[str, list[str]] = {}
    for token, owners in raw.items():
        if isinstance(owners, str):
            owners = [owners]
        if not isinstance(owners, list) or not owners or not all(isinstance(o, str) and o for o in owners):
            raise ByzerError(f"{where}: a token must map to a list of owner names")
        if len(str(token)) < 8:
            raise ByzerError(f"{where}: tokens must be at least 8 characters")
        tokens[str(token)] = list(owners)
    return tokens


def read_tokens_file(path: str) -> dict[str, list[str]]:
    """A tokens file: ``"TOKEN" = ["owner", ...]`` lines, at the top level or in a ``[tokens]`` table."""
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError as exc:
        raise ByzerError(f"tokens file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ByzerError(f"tokens file {path} is not valid TOML: {exc}") from exc
    return _check_tokens(data.get("tokens", data), f"tokens file {path}")
