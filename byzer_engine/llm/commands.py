"""``!byzerllm setup ...`` and ``!byzerllm model list|exists|remove ...``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from byzer_engine.lang.errors import ByzerError
from byzer_engine.llm.settings import apply_setup, current

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from byzer_engine.runtime.ets.base import ETContext

USAGE = (
    '!byzerllm setup single|sft|"KEY=VALUE"; or !byzerllm model list; | '
    "!byzerllm model exists NAME; | !byzerllm model remove NAME;"
)
MODEL_LIST_COLUMNS = (
    ("name", "string"),
    ("type", "string"),
    ("status", "string"),
    ("backend", "string"),
    ("model", "string"),
    ("workers", "int"),
    ("busy", "int"),
    ("idle", "int"),
    ("requests_served", "long"),
    ("distinct_computed", "long"),
    ("errors", "long"),
    ("owner", "string"),
    ("detail", "string"),
)


def _schema(columns: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"`{name}` {kind}" for name, kind in columns)


def _connect(ctx: ETContext) -> str:
    from byzer_engine.llm.settings import resolve
    from byzer_engine.runtime.ray_connect import ensure_ray, requested_address

    return ensure_ray(requested_address(ctx.config, resolve(current(ctx.owner_state), {}).ray_address))


def _finetune_jobs() -> list[dict[str, Any]]:
    """Fine-tuning jobs known to this Ray (none when the fine-tuning package is not installed)."""
    try:
        from byzer_engine.llm.finetune.jobs import list_jobs
    except ImportError:
        return []
    return list(list_jobs())


def _stop_finetune_job(name: str) -> bool:
    try:
        from byzer_engine.llm.finetune.jobs import stop_job
    except ImportError:
        return False
    return bool(stop_job(name))


def _pool_row(info: dict[str, Any]) -> tuple[Any, ...]:
    alive = int(info.get("alive", 0))
    workers = int(info.get("workers", 0))
    status = "running" if alive == workers else ("degraded" if alive else "down")
    if info.get("dead"):
        status = "dead"  # the master itself is gone: remove and deploy the model again
    detail = {
        k: info.get(k)
        for k in (
            "model_type",
            "num_gpus",
            "num_cpus",
            "load_balance",
            "retries",
            "master_restarted",
            "cache",
            "cache_hits",
        )
    }
    detail["worker_stats"] = info.get("worker_stats", [])
    return (
        info.get("name", ""),
        "model",
        status,
        info.get("backend", ""),
        info.get("model", ""),
        workers,
        int(info.get("busy", 0)),
        int(info.get("idle", 0)),
        int(info.get("requests_served", 0)),
        int(info.get("distinct_computed", 0)),
        int(info.get("errors", 0)),
        info.get("owner", ""),
        json.dumps(detail, default=str),
    )


def _job_row(job: dict[str, Any]) -> tuple[Any, ...]:
    return (
        str(job.get("name") or job.get("job_name") or ""),
        "finetune",
        str(job.get("status", "")),
        "finetune",
        str(job.get("base_model") or job.get("model") or ""),
        1,
        1 if str(job.get("status", "")).lower() == "running" else 0,
        0,
        0,
        0,
        0,
        str(job.get("owner", "")),
        json.dumps(job, default=str),
    )


def model_list(ctx: ETContext) -> DataFrame:
    from byzer_engine.llm.pool import client

    _connect(ctx)
    rows = [_pool_row(info) for info in client.list_pools()]
    rows += [_job_row(job) for job in _finetune_jobs()]
    return ctx.spark.createDataFrame(rows, _schema(MODEL_LIST_COLUMNS))


def model_exists(ctx: ETContext, name: str) -> DataFrame:
    from byzer_engine.llm.pool import client

    _connect(ctx)
    kind = "model" if client.get_master(name) is not None else None
    if kind is None and any((j.get("name") or j.get("job_name")) == name for j in _finetune_jobs()):
        kind = "finetune"
    return ctx.spark.createDataFrame(
        [(name, kind is not None, kind)], "`name` string, `exists` boolean, `type` string"
    )


def model_remove(ctx: ETContext, name: str) -> DataFrame:
    from byzer_engine.llm.pool import client
    from byzer_engine.llm.udf import unregister

    _connect(ctx)
    kind: str | None = None
    if client.remove(name):
        kind = "model"
        unregister(ctx.spark, name)
    elif _stop_finetune_job(name):
        kind = "finetune"
    return ctx.spark.createDataFrame(
        [(name, kind is not None, kind)], "`name` string, `removed` boolean, `type` string"
    )


def setup(ctx: ETContext, argument: str) -> DataFrame:
    settings = apply_setup(ctx.owner_state, argument)
    rows = sorted(settings.items())
    return ctx.spark.createDataFrame(rows, "`key` string, `value` string")


def parse_args(raw: str | None) -> list[str]:
    if not raw:
        raise ByzerError(f"!byzerllm needs arguments: {USAGE}")
    try:
        args = json.loads(raw)
    except ValueError:
        raise ByzerError(f"!byzerllm arguments are not a JSON list: {raw}") from None
    if not isinstance(args, list) or not args:
        raise ByzerError(f"!byzerllm needs arguments: {USAGE}")
    return [str(a) for a in args]


def run_command(ctx: ETContext, args: list[str]) -> DataFrame:
    verb, rest = args[0], args[1:]
    if verb == "setup":
        if len(rest) != 1:
            raise ByzerError(
                f'!byzerllm setup takes one argument: single, sft or "KEY=VALUE" (got {len(rest)})'
            )
        return setup(ctx, rest[0])
    if verb == "model":
        action = rest[0] if rest else ""
        if action == "list" and len(rest) == 1:
            return model_list(ctx)
        if action in ("exists", "remove") and len(rest) == 2:
            return model_exists(ctx, rest[1]) if action == "exists" else model_remove(ctx, rest[1])
        raise ByzerError(
            f"!byzerllm model takes list, exists NAME or remove NAME (got {' '.join(rest) or 'nothing'})"
        )
    raise ByzerError(f"unknown !byzerllm command '{verb}'; usage: {USAGE}")
