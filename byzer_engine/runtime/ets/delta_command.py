"""``!delta history|info|vacuum PATH``: a Delta table's commits, its state, and removing old files.

PATH resolves in the owner's home like any ``delta.`PATH` ``. ``vacuum`` removes the files no
version newer than the retention (``RETENTION_HOURS``, default 168, Delta's own default) needs.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime.ets.base import ET, ETContext, ETParam

if TYPE_CHECKING:
    from deltalake import DeltaTable
    from pyspark.sql import DataFrame

DEFAULT_RETENTION_HOURS = 168


def _open(ctx: ETContext, user_path: str) -> tuple[DeltaTable, str]:
    from deltalake import DeltaTable

    path = ctx.resolve_path(user_path)
    if not DeltaTable.is_deltatable(path):
        raise ByzerError(f"!delta: {user_path} is not a Delta table")
    return DeltaTable(path), path


def _history(ctx: ETContext, table: DeltaTable) -> DataFrame:
    rows = []
    for commit in table.history():
        timestamp = commit.get("timestamp")
        when = (
            dt.datetime.fromtimestamp(timestamp / 1000).strftime("%Y-%m-%d %H:%M:%S") if timestamp else None
        )
        params = commit.get("operationParameters") or {}
        rows.append(
            (
                int(commit.get("version", -1)),
                when,
                str(commit.get("operation", "")),
                json.dumps(params, default=str, sort_keys=True),
            )
        )
    return ctx.spark.createDataFrame(
        rows, "version long, timestamp string, operation string, operationParameters string"
    )


def _info(ctx: ETContext, table: DeltaTable, path: str) -> DataFrame:
    import pyarrow as pa

    metadata = table.metadata()
    actions: Any = pa.table(table.get_add_actions(flatten=True))
    sizes = actions.column("size_bytes").to_pylist() if actions.num_rows else []
    rows = [
        ("path", path),
        ("version", str(table.version())),
        ("numFiles", str(len(sizes))),
        ("sizeInBytes", str(sum(sizes))),
        ("partitionColumns", json.dumps(list(metadata.partition_columns))),
        ("schema", table.schema().to_json()),
        ("createdTime", str(metadata.created_time)),
        ("minReaderVersion", str(table.protocol().min_reader_version)),
        ("minWriterVersion", str(table.protocol().min_writer_version)),
    ]
    return ctx.spark.createDataFrame(rows, "name string, value string")


def _vacuum(ctx: ETContext, table: DeltaTable, args: list[str]) -> DataFrame:
    hours = DEFAULT_RETENTION_HOURS
    if args:
        try:
            hours = int(args[0])
        except ValueError:
            raise ByzerError(f"!delta vacuum: retention must be a number of hours, not {args[0]!r}") from None
    removed = table.vacuum(retention_hours=hours, dry_run=False, enforce_retention_duration=False)
    return ctx.spark.createDataFrame([(str(f),) for f in removed], "removed string")


class DeltaCommand(ET):
    name = "DeltaCommand"
    alg_type = "command"
    doc = "Delta table commands (what !delta runs): history PATH, info PATH, vacuum PATH [RETENTION_HOURS]."
    params = (ETParam("parameters", "the command and its arguments as a JSON list", required=True),)
    example = "!delta history data/events;"

    def run(self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]) -> DataFrame:
        try:
            args = [str(a) for a in json.loads(options.get("parameters", "[]"))]
        except json.JSONDecodeError as exc:
            raise ByzerError(f"DeltaCommand: parameters must be a JSON list: {exc}") from None
        if len(args) < 2 or args[0].lower() not in {"history", "info", "vacuum"}:
            raise ByzerError("!delta history|info|vacuum PATH [RETENTION_HOURS]")
        delta_table, resolved = _open(ctx, args[1])
        command = args[0].lower()
        if command == "history":
            return _history(ctx, delta_table)
        if command == "info":
            return _info(ctx, delta_table, resolved)
        return _vacuum(ctx, delta_table, args[2:])
