"""``byzer serve``: the HTTP server (Byzer's API and OpenAI-compatible routes) over one Engine."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from typing import TYPE_CHECKING, Annotated, Any

import typer

from byzer_engine.cli import app

if TYPE_CHECKING:
    from byzer_engine.runtime import EngineConfig

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


# The switches whose server default (off) differs from the engine's (on): owners stay inside their
# home and run no code of their own unless something explicitly says otherwise.
_SERVER_OFF_BY_DEFAULT = ("allow_any_path", "allow_code")


def _configured(key: str, config_file: str | None) -> bool:
    """Whether ``key`` was set outside the flags (env or config file)."""
    if f"BYZER_{key.upper()}" in os.environ:
        return True
    path = config_file or os.environ.get("BYZER_CONFIG")
    if not path:
        return False
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError):
        return False  # EngineConfig.load reports it
    return key in data or key in data.get("engine", {})


def server_config(
    config_file: str | None,
    *,
    master: str | None = None,
    ray_address: str | None = None,
    data_root: str | None = None,
    allow_shell: bool = False,
    allow_any_path: bool = False,
    allow_code: bool = False,
    token: str | None = None,
    tokens_file: str | None = None,
) -> EngineConfig:
    """The engine configuration of a server: flags > BYZER_* env > config file > defaults, except that
    owners are kept inside their home unless something explicitly allows any path."""
    from byzer_engine.runtime import EngineConfig

    loaded = EngineConfig.load(
        config_file,
        spark_master=master,
        ray_address=ray_address,
        data_root=data_root,
        allow_shell=True if allow_shell else None,
        allow_any_path=True if allow_any_path else None,
        allow_code=True if allow_code else None,
        token=token,
        tokens_file=tokens_file,
    )
    flags = {"allow_any_path": allow_any_path, "allow_code": allow_code}
    off: dict[str, Any] = {
        key: False for key in _SERVER_OFF_BY_DEFAULT if not flags[key] and not _configured(key, config_file)
    }
    # A server keeps owners apart (jobs, catalog), and their paths in their homes, unless its
    # configuration says otherwise.
    for key in ("isolate_owners", "rooted_paths"):
        if not _configured(key, config_file):
            off[key] = True
    return dataclasses.replace(loaded, **off) if off else loaded


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind; 0.0.0.0 exposes the server.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 9003,
    token: Annotated[
        str | None,
        typer.Option(
            help="Require 'Authorization: Bearer TOKEN' on every route but health (or BYZER_TOKEN)."
        ),
    ] = None,
    master: Annotated[
        str | None, typer.Option(help="Spark master: local[*], spark://host:7077, sc://host:15002 ...")
    ] = None,
    ray_address: Annotated[
        str | None, typer.Option("--ray-address", help="Ray cluster for models (default: embedded).")
    ] = None,
    data_root: Annotated[
        str | None, typer.Option("--data-root", help="Folder holding the owners' homes.")
    ] = None,
    config: Annotated[str | None, typer.Option(help="TOML config file (or BYZER_CONFIG).")] = None,
    allow_shell: Annotated[
        bool, typer.Option("--allow-shell", help='Allow set ... where type="shell".')
    ] = False,
    allow_any_path: Annotated[
        bool,
        typer.Option("--allow-any-path", help="Let owners read and write outside their home folder."),
    ] = False,
    allow_code: Annotated[
        bool,
        typer.Option("--allow-code", help="Let owners run their own code: ScriptUDF, Byzer-python."),
    ] = False,
    threads: Annotated[int, typer.Option(help="Scripts that may run at the same time.", min=1)] = 32,
    log_level: Annotated[str, typer.Option("--log-level", help="Server log level.")] = "info",
    tokens_file: Annotated[
        str | None,
        typer.Option("--tokens-file", help='Per-owner tokens: a TOML file of "TOKEN" = ["owner", ...].'),
    ] = None,
    mysql_port: Annotated[
        int | None,
        typer.Option("--mysql-port", help="Also speak the MySQL protocol on this port (3307 is usual)."),
    ] = None,
    mysql_max_rows: Annotated[
        int | None, typer.Option("--mysql-max-rows", help="Rows a MySQL result may have at most.")
    ] = None,
) -> None:
    """Serve Byzer's HTTP API (POST /run/script ...) and OpenAI-compatible routes (/v1/...)."""
    import uvicorn

    from byzer_engine.console import create_console_app
    from byzer_engine.lang.errors import ByzerError
    from byzer_engine.server import ServerSettings

    try:
        engine_config = server_config(
            config,
            master=master,
            ray_address=ray_address,
            data_root=data_root,
            allow_shell=allow_shell,
            allow_any_path=allow_any_path,
            allow_code=allow_code,
            token=token,
            tokens_file=tokens_file,
        )
    except ByzerError as exc:
        typer.echo(exc.render(), err=True)
        raise typer.Exit(2) from None
    if host not in _LOOPBACK and not engine_config.token and not engine_config.tokens:
        typer.echo(
            f"warning: serving on {host} without a token: anyone who can reach it can run scripts", err=True
        )
    application = create_console_app(engine_config, settings=ServerSettings(worker_threads=threads))
    typer.echo(f"byzer serve: http://{host}:{port}  (API docs: /docs; data root: {engine_config.data_root})")
    listener = None
    if mysql_port is not None:
        from byzer_engine.wire import WireListener, WireSettings

        wire = WireSettings(host=host, port=mysql_port, max_rows=mysql_max_rows)
        listener = WireListener(engine_config, application.state.byzer.engine_when_ready, wire)
        listener.start()
        typer.echo(f"byzer serve: mysql://{host}:{listener.port}  (user: the owner; password: the token)")
    try:
        uvicorn.run(application, host=host, port=port, log_level=log_level.lower())
    finally:
        if listener is not None:
            listener.stop()
