"""``byzer run FILE``: runs a script on an embedded engine (or a server) and prints its last table.

Relative paths in the script resolve against the current directory: the CLI makes it the home of
the script's owner. Syntax errors exit 2, runtime errors exit 1, both as ``FILE:LINE:COL: error: ...``
on stderr with the line and a caret; Spark's own logs stay in its log file unless ``--debug``.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import sys
import traceback
import uuid
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from byzer_engine.cli import app
from byzer_engine.cli.progress import RunProgress
from byzer_engine.lang.errors import ByzerError, ByzerSyntaxError, Position

if TYPE_CHECKING:
    from byzer_engine.lang.statements import Statement

EXIT_RUNTIME_ERROR = 1
EXIT_SYNTAX_ERROR = 2
COMMAND_LINE_FILE = "<-e>"


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def parse_vars(pairs: list[str]) -> dict[str, str]:
    variables: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"--var expects KEY=VALUE, got {pair!r}", param_hint="--var")
        variables[key.strip()] = value
    return variables


def _read_script(file: Path | None, execute: str | None) -> tuple[str, str]:
    if execute is not None and file is not None:
        raise typer.BadParameter("give a FILE or -e SCRIPT, not both")
    if execute is not None:
        return execute, COMMAND_LINE_FILE
    if file is None:
        raise typer.BadParameter("give a script FILE or -e SCRIPT")
    try:
        return file.read_text(encoding="utf-8"), str(file)
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {file}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise typer.BadParameter(
            f"cannot read {file}: it is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})"
        ) from None


# -- output ---------------------------------------------------------------------------------------------
def _columns(rows: list[dict[str, Any]], schema: dict[str, Any]) -> list[str]:
    names = [str(f["name"]) for f in schema.get("fields", [])]
    for row in rows:
        names.extend(k for k in row if k not in names)
    return names


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def print_rows(rows: list[dict[str, Any]], schema: dict[str, Any], output_format: str) -> None:
    if output_format == "json":
        # Exactly what POST /run/script returns.
        sys.stdout.write(json.dumps(rows, ensure_ascii=False) + "\n")
        return
    columns = _columns(rows, schema)
    if output_format == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        if columns:
            writer.writerow(columns)
        writer.writerows([_cell(row.get(c)) for c in columns] for row in rows)
        return
    if not columns:
        _stderr("(the script's last statement made no table)")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(show_edge=True, header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(_cell(row.get(c)) if row.get(c) is not None else "[dim]null[/dim]" for c in columns))
    Console(soft_wrap=False).print(table)
    _stderr(f"{len(rows)} row{'s' if len(rows) != 1 else ''}")


def _stderr(text: str) -> None:
    sys.stderr.write(text.rstrip("\n") + "\n")
    sys.stderr.flush()


def _report(error: ByzerError, debug: bool) -> int:
    _stderr(error.render())
    if debug and error.__cause__ is not None:
        _stderr("".join(traceback.format_exception(error.__cause__)))
    return EXIT_SYNTAX_ERROR if isinstance(error, ByzerSyntaxError) else EXIT_RUNTIME_ERROR


def _with_file(error: ByzerError, text: str, file: str) -> ByzerError:
    """Errors from a server name no file: point them into this one."""
    position = error.position
    if position is not None and position.file in {"<script>", ""}:
        lines = text.splitlines()
        line_text = position.line_text or (
            lines[position.line - 1] if 0 < position.line <= len(lines) else ""
        )
        error.position = Position(file, position.line, position.column, line_text)
    return error


def _parse(text: str, file: str) -> list[Statement]:
    """Parses before any JVM starts, so a typo is reported at once; the engine runs these statements."""
    from byzer_engine import lang

    project_root = str(Path(file).resolve().parent) if file != COMMAND_LINE_FILE else os.getcwd()
    return lang.parse_script(text, file=file, project_root=project_root)


USAGE_QUERY = "load _mlsql_.`llm_usage` as u; select * from u where job = '{job}' as mine;"
USAGE_COLUMNS = ("requests", "input_tokens", "output_tokens", "cache_hits", "latency_ms")


def usage_line(rows: list[dict[str, Any]]) -> str | None:
    """The one-line LLM usage summary of a run (None when it made no LLM call)."""
    totals = {c: sum(float(r.get(c) or 0) for r in rows) for c in USAGE_COLUMNS}
    if not totals["requests"]:
        return None
    models = ", ".join(sorted({str(r.get("model")) for r in rows}))
    return (
        f"LLM usage ({models}): {int(totals['requests'])} requests, {int(totals['input_tokens'])} input tokens, "
        f"{int(totals['output_tokens'])} output tokens, {int(totals['cache_hits'])} cache hits, "
        f"{totals['latency_ms'] / 1000:.1f} s in model calls"
    )


def _print_usage(engine: Any, owner: str, job: str) -> None:
    try:
        rows = engine.run_script(USAGE_QUERY.format(job=job), owner=owner).rows
    except ByzerError:
        return  # no usage table (the LLM package's entry points are not installed)
    line = usage_line(rows)
    if line:
        _stderr(line)


def _run_local(
    text: str,
    statements: list[Statement],
    file: str,
    variables: dict[str, str],
    owner: str,
    master: str | None,
    debug: bool,
    explain: bool = False,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from byzer_engine.runtime import Engine, EngineConfig

    config = EngineConfig.load(spark_master=master, log_to_console=debug or None)
    homes = {**config.owner_homes, owner: os.getcwd()}
    config = dataclasses.replace(config, owner_homes=homes)
    engine = Engine(config)
    job = f"cli-{uuid.uuid4().hex[:12]}"
    try:
        with RunProgress(engine, job):
            result = engine.run_script(
                text,
                owner=owner,
                variables=variables,
                file=file,
                on_message=_stderr,
                statements=statements,
                job_name=job,
                explain=explain,
            )
        if "llm" in text.lower() and not explain:  # a run without an LLM statement made no model call
            _print_usage(engine, owner, job)
        return result.rows, result.schema
    finally:
        engine.close()


def _run_remote(
    text: str, variables: dict[str, str], owner: str, server: str, token: str | None, explain: bool = False
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from byzer_engine.client import Byzer

    mode = {"execute_mode": "explain"} if explain else {}
    with Byzer(server, token=token) as client:
        return client.run_with_schema(text, owner=owner, variables=variables, **mode)


@app.command("run")
def run_command(
    file: Annotated[Path | None, typer.Argument(help="The script to run.", show_default=False)] = None,
    execute: Annotated[
        str | None, typer.Option("-e", "--execute", help="Run this script text instead of a file.")
    ] = None,
    var: Annotated[
        list[str] | None, typer.Option("--var", help="Set a variable: KEY=VALUE (repeatable).")
    ] = None,
    owner: Annotated[str, typer.Option(help="Who runs the script (home folder, session).")] = "admin",
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="How to print the last table.")
    ] = OutputFormat.table,
    master: Annotated[
        str | None, typer.Option(help="Spark master: local[*], spark://host:7077, sc://host:15002 ...")
    ] = None,
    server: Annotated[str | None, typer.Option(help="Run on a byzer server at this URL instead.")] = None,
    token: Annotated[str | None, typer.Option(help="The server's token (or BYZER_TOKEN).")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show Spark's log and stack traces.")] = False,
    explain: Annotated[
        bool,
        typer.Option(
            "--explain",
            help="Explain the script instead: each statement's plan and its LLM calls' estimates; "
            "runs nothing that computes, writes or calls a model.",
        ),
    ] = False,
) -> None:
    """Run a Byzer script and print its last table."""
    text, file_name = _read_script(file, execute)
    variables = parse_vars(var or [])
    try:
        if server:
            token = token or os.environ.get("BYZER_TOKEN")
            rows, schema = _run_remote(text, variables, owner, server, token, explain)
        else:
            statements = _parse(text, file_name)
            rows, schema = _run_local(text, statements, file_name, variables, owner, master, debug, explain)
    except ByzerError as error:
        raise typer.Exit(_report(_with_file(error, text, file_name), debug)) from None
    except KeyboardInterrupt:
        _stderr("interrupted")
        raise typer.Exit(130) from None
    except Exception as exc:  # an engine fault, not the script's: say so plainly
        if debug:
            traceback.print_exc()
        _stderr(f"{file_name}: error: internal error: {type(exc).__name__}: {exc}")
        raise typer.Exit(EXIT_RUNTIME_ERROR) from None
    if explain and output_format is OutputFormat.table:
        from byzer_engine.cli.explain_output import print_explain

        print_explain(rows)
        return
    print_rows(rows, schema, output_format.value)
