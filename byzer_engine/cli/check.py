"""``byzer check FILE...``: parse scripts (includes resolved) without running them.

One line per statement (``FILE:LINE:COL  kind  summary``), or with ``--json`` the statements as a JSON
array (the shape of ``analyze()``). A syntax error prints ``FILE:LINE:COL: error: MESSAGE``, the line
and a caret on stderr, and the command exits with status 2. ``--spark`` also hands every SQL body to
Spark's own parser (in a JVM of its own; nothing runs), see ``runtime.spark_check``.
"""

from __future__ import annotations

import json
import os
from typing import Annotated

import typer

from byzer_engine.cli import app
from byzer_engine.lang import parse_script
from byzer_engine.lang.errors import ByzerError
from byzer_engine.lang.statements import (
    Branch,
    Connect,
    Include,
    Load,
    Macro,
    RawSql,
    Register,
    RunET,
    Save,
    Select,
    SetVar,
    Statement,
)

_SUMMARY_WIDTH = 100


def summarize(statement: Statement) -> str:
    """A short human summary of one statement."""
    if isinstance(statement, Load):
        text = f"{statement.format}.`{statement.path}` as {statement.table}"
    elif isinstance(statement, Select):
        reads = f" (reads {', '.join(statement.reads)})" if statement.reads else ""
        text = f"-> {statement.table}{reads}"
    elif isinstance(statement, Save):
        text = f"{statement.table} -> {statement.format}.`{statement.path}` ({statement.mode.value})"
    elif isinstance(statement, SetVar):
        value = " ".join(statement.value.split())
        text = f"{statement.key} = {value}" + (
            f" (type {statement.set_type})" if "type" in statement.options else ""
        )
    elif isinstance(statement, Connect):
        text = statement.format + (f" as {statement.alias}" if statement.alias else "")
    elif isinstance(statement, RunET):
        text = f"{statement.verb} {statement.table} as {statement.et}.`{statement.path}`"
        text += f" -> {statement.output}" if statement.output else ""
    elif isinstance(statement, Register):
        text = f"{statement.et}.`{statement.path}` as {statement.function}"
    elif isinstance(statement, Include):
        text = f"{statement.type}.`{statement.path}`"
    elif isinstance(statement, RawSql):
        text = statement.verb + (f" (reads {', '.join(statement.reads)})" if statement.reads else "")
    elif isinstance(statement, Macro):
        text = "!" + " ".join([statement.name, *(arg.value for arg in statement.args)])
    elif isinstance(statement, Branch):
        text = f"!{statement.branch} {statement.condition}".rstrip()
    else:
        text = statement.span.raw
    text = " ".join(text.split())
    return text if len(text) <= _SUMMARY_WIDTH else text[: _SUMMARY_WIDTH - 3] + "..."


@app.command()
def check(
    files: Annotated[list[str], typer.Argument(help="Byzer scripts to check.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the statements as a JSON array.")] = False,
    project_root: Annotated[
        str | None, typer.Option(help="Folder that `include project.`...`` paths are relative to.")
    ] = None,
    spark: Annotated[
        bool, typer.Option("--spark", help="Also parse every SQL body with Spark's own parser.")
    ] = False,
) -> None:
    """Parse Byzer scripts and list their statements; exit 2 on the first syntax error of each file."""
    failed = False
    spark_parse = None
    collected: list[dict[str, object]] = []
    for file in files:
        try:
            with open(file, encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as error:
            typer.echo(f"{file}: error: cannot read the file: {error}", err=True)
            failed = True
            continue
        try:
            statements = parse_script(text, file=file, project_root=project_root)
        except ByzerError as error:
            typer.echo(error.render(), err=True)
            failed = True
            continue
        if spark:
            from byzer_engine.lang import builtin_variables
            from byzer_engine.runtime.spark_check import check_sql, standalone_parser

            spark_parse = spark_parse or standalone_parser()
            errors = check_sql(statements, spark_parse, builtin_variables("admin", os.getcwd()))
            for spark_error in errors:
                typer.echo(spark_error.render(), err=True)
            if errors:
                failed = True
                continue
        if as_json:
            collected.extend(statement.to_dict() for statement in statements)
            continue
        for statement in statements:
            span = statement.span
            typer.echo(f"{span.file}:{span.line}:{span.column}  {statement.kind}  {summarize(statement)}")
    if as_json:
        typer.echo(json.dumps(collected, indent=2, ensure_ascii=False))
    if failed:
        raise typer.Exit(code=2)
