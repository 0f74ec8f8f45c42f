"""``action="finetune"`` and ``action="merge"`` of ``run command as LLM.`` where ...``.

finetune: checks the options, starts a training actor on Ray, streams the input table into it from
Spark, then either returns at once (detached="true") or waits for the job; either way the summary row
becomes ``outputTable`` and the loss log ``<outputTable>_log``.
merge: writes base + adapter as one Hugging Face model folder at ``savePath``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from byzer_engine.lang.errors import ByzerError, ByzerJobKilled
from byzer_engine.llm.finetune import options as opts
from byzer_engine.llm.finetune.registry import FAILED, FINISHED, NAMESPACE, RUNNING, STOPPED
from byzer_engine.llm.packaged import ModelLocation, resolve_model
from byzer_engine.llm.settings import Resolved, current, resolve

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from byzer_engine.runtime.ets.base import ETContext

POLL_SECONDS = 1.0
# How long to wait for Ray to place the training actor (it may wait for a free GPU).
WORKER_START_TIMEOUT_S = 600.0


def pool_settings(ctx: ETContext, options: Mapping[str, str]) -> Resolved:
    """``!byzerllm setup`` settings of this owner (num_gpus, num_cpus, rayAddress), overridden by options."""
    return resolve(current(ctx.owner_state), options)


def connect_ray(ctx: ETContext, settings: Resolved) -> str:
    from byzer_engine.runtime.ray_connect import ensure_ray, requested_address

    return ensure_ray(requested_address(ctx.config, settings.ray_address))


def gpus_for_job(settings: Resolved) -> float:
    """num_gpus when given; "auto" (the default): one GPU when the Ray cluster has any, else none.

    Asking for more GPUs than the cluster has fails at once (the job could never be placed).
    """
    import ray

    available = float(ray.cluster_resources().get("GPU", 0))
    if settings.num_gpus is not None:
        if settings.num_gpus > available:
            raise ByzerError(
                f"the fine-tune asks for {settings.num_gpus:g} GPU(s) but the Ray cluster has {available:g}; "
                'set !byzerllm setup "num_gpus=0"; to train on CPUs'
            )
        return settings.num_gpus
    return 1.0 if available >= 1 else 0.0


def base_location(ctx: ETContext, path: str | None) -> ModelLocation:
    location = resolve_model(ctx.resolve_path(path) if path else None)
    if location.gguf_file is None and Path(location.directory, "adapter_config.json").is_file():
        raise ByzerError(
            f"'{path}' is a LoRA adapter; merge it into a full model first (action=\"merge\") and train on that"
        )
    return location


def finetune(ctx: ETContext, options: dict[str, str]) -> DataFrame:
    opts.model_type_family(options, "sft", "finetune")
    input_table = options.get("inputTable", "").strip()
    if not input_table:
        raise ByzerError('action="finetune" needs inputTable (a table with instruction, input, output)')
    output_table = options.get("outputTable", "").strip() or None
    detached = opts.parse_bool("detached", options.get("detached", "false"))
    name = opts.job_name(options)
    typed = opts.sft_options(options)
    base = base_location(ctx, options.get("localModelDir") or options.get("modelNameOrPath"))
    frame = _input_frame(ctx, input_table)

    import ray

    from byzer_engine.llm.finetune.feed import feed
    from byzer_engine.llm.finetune.registry import registry
    from byzer_engine.llm.finetune.worker import FinetuneWorker

    settings = pool_settings(ctx, options)
    address = connect_ray(ctx, settings)
    num_gpus = gpus_for_job(settings)
    load_in_4bit = bool(typed.get("load_in_4bit") or typed.get("qlora"))
    if load_in_4bit and num_gpus <= 0:
        raise ByzerError("QLoRA (sft.bool.load_in_4bit) needs a GPU: set num_gpus on a Ray cluster with GPUs")
    threads = options.get("num_threads", "").strip()
    if threads and not threads.isdigit():
        raise ByzerError(f"num_threads must be a whole number, got '{threads}'")
    # localPathPrefix (Byzer's name) holds the job folders; by default the owner's home/finetune.
    prefix = options.get("localPathPrefix", "").strip()
    jobs_root = ctx.resolve_path(prefix) if prefix else os.path.join(ctx.home, "finetune")
    spec = opts.FinetuneSpec(
        name=name,
        owner=ctx.owner,
        base_directory=base.directory,
        base_gguf_file=base.gguf_file,
        output_dir=os.path.join(os.path.abspath(jobs_root), name),
        max_seq_length=int(typed.get("max_seq_length", 512)),
        lora=opts.lora_settings(typed),
        training_args=opts.training_args(typed),
        load_in_4bit=load_in_4bit,
        num_gpus=num_gpus,
        num_threads=int(threads) if threads else None,
    )
    jobs = registry(create=True)
    current = ray.get(jobs.get.remote(name))
    if current is not None and current["status"] == RUNNING:
        raise ByzerError(f"fine-tune job '{name}' is already running; stop it first or choose another name")
    _fresh_folder(spec.output_dir)

    worker_name = f"byzer_finetune_{name}_{secrets.token_hex(3)}"
    worker_class: Any = ray.remote(FinetuneWorker)
    worker = worker_class.options(
        name=worker_name,
        namespace=NAMESPACE,
        lifetime="detached",  # a detached job outlives the statement (and the engine, on a cluster)
        max_concurrency=4,  # add_batch calls arrive while earlier ones are stored
        max_restarts=0,
        num_cpus=1 if settings.num_cpus is None else settings.num_cpus,
        num_gpus=num_gpus,
    ).remote(spec)
    record = {
        "name": name,
        "owner": ctx.owner,
        "phase": "waiting for a Ray worker",
        "base_model": spec.base_model,
        "output_dir": spec.output_dir,
        "start_time": time.time(),
        "detached": detached,
        "worker": worker_name,
        "step": 0,
    }
    refusal = ray.get(jobs.register.remote(record))
    if refusal:
        ray.kill(worker, no_restart=True)
        raise ByzerError(refusal)
    if not detached:
        ctx.on_cancel(lambda: _stop_quietly(jobs, name))
    try:
        _wait_until_placed(worker, num_gpus)
        jobs.update.remote(name, {"phase": "receiving data"})
        rows = feed(frame, address, worker_name, NAMESPACE)
        if rows == 0:
            raise ByzerError(f"inputTable '{input_table}' has no rows to train on")
        jobs.update.remote(name, {"train_rows": rows})
        ray.get(worker.start.remote())
    except BaseException as error:
        ray.get(jobs.finish.remote(name, {"status": FAILED, "error": f"starting the job failed: {error}"}))
        if isinstance(error, ByzerError):
            raise
        raise ByzerError(f"fine-tune job '{name}' could not start: {error}") from error

    if not detached:
        final = _wait_for(jobs, name)
        if final["status"] == STOPPED:
            raise ByzerJobKilled(f"fine-tune job '{name}' was stopped")
        if final["status"] != FINISHED:
            raise ByzerError(f"fine-tune job '{name}' failed: {final.get('error') or 'unknown error'}")
    return _outputs(ctx, jobs, name, output_table)


def _input_frame(ctx: ETContext, input_table: str) -> DataFrame:
    from byzer_engine.llm.finetune.feed import training_frame

    try:
        table = ctx.spark.table(input_table)
    except Exception as error:  # Spark's AnalysisException: no such table or view
        raise ByzerError(f"inputTable '{input_table}' is not a table or view: {error}") from None
    return training_frame(table, input_table)


def _fresh_folder(output_dir: str) -> None:
    """A re-run of a finished job starts from an empty folder, so no stale adapter is left behind."""
    path = Path(output_dir)
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)


def _stop_quietly(jobs: Any, name: str) -> None:
    import ray

    try:
        ray.get(jobs.stop.remote(name), timeout=30)
    except Exception:  # the cancel path must not raise; the job then ends on its own
        pass


def _wait_until_placed(worker: Any, num_gpus: float) -> None:
    import ray

    ready, _ = ray.wait([worker.ready.remote()], timeout=WORKER_START_TIMEOUT_S)
    if not ready:
        raise ByzerError(
            f"no Ray node could host the training worker within {WORKER_START_TIMEOUT_S:.0f} s "
            f"(num_gpus={num_gpus:g}); free resources or lower num_gpus/num_cpus"
        )
    ray.get(ready[0])  # raises the worker's own start-up error, if any


def _wait_for(jobs: Any, name: str) -> dict[str, Any]:
    import ray

    while True:
        record: dict[str, Any] | None = ray.get(jobs.get.remote(name))
        if record is None:
            raise ByzerError(f"fine-tune job '{name}' vanished from the job registry")
        if record["status"] != RUNNING:
            return record
        time.sleep(POLL_SECONDS)


def _outputs(ctx: ETContext, jobs: Any, name: str, output_table: str | None) -> DataFrame:
    import ray

    from byzer_engine.llm.finetune.tables import log_frame, summary_frame

    record = ray.get(jobs.get.remote(name))
    summary = summary_frame(ctx.spark, record)
    if output_table:
        summary.createOrReplaceTempView(output_table)
        log_frame(ctx.spark, ray.get(jobs.log.remote(name)) or []).createOrReplaceTempView(
            f"{output_table}_log"
        )
    return summary


def merge(ctx: ETContext, options: dict[str, str]) -> DataFrame:
    from byzer_engine.llm.model_loader import adapter_base

    opts.model_type_family(options, "lora", "merge")
    adapter_option = options.get("adapterNameOrPath", "").strip()
    save_option = options.get("savePath", "").strip()
    if not adapter_option or not save_option:
        raise ByzerError('action="merge" needs adapterNameOrPath (the adapter folder) and savePath')
    adapter_dir = ctx.resolve_path(adapter_option)
    if not Path(adapter_dir, "adapter_config.json").is_file():
        raise ByzerError(
            f"adapterNameOrPath '{adapter_option}' is not a LoRA adapter folder (no adapter_config.json)"
        )
    base_option = options.get("modelNameOrPath", "").strip()
    base = base_location(ctx, base_option) if base_option else adapter_base(adapter_dir)
    target = Path(ctx.resolve_path(save_option))
    if target.resolve() in (Path(adapter_dir).resolve(), Path(base.directory).resolve()):
        raise ByzerError("savePath must be a new folder, not the adapter or the base model folder")

    import ray

    from byzer_engine.llm.finetune.merge import merge_adapter

    settings = pool_settings(ctx, options)
    connect_ray(ctx, settings)
    num_gpus = gpus_for_job(settings)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.merging-{secrets.token_hex(3)}")
    task: Any = ray.remote(merge_adapter)
    try:
        info = ray.get(
            task.options(num_cpus=1, num_gpus=num_gpus, max_retries=0).remote(
                base.directory, base.gguf_file, adapter_dir, str(staging), num_gpus > 0
            )
        )
    except Exception as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise ByzerError(f"merging adapter '{adapter_option}' failed: {error}") from None
    _replace_folder(staging, target)
    row = {
        "save_path": str(target),
        "base_model": f"{base.directory}/{base.gguf_file}" if base.gguf_file else base.directory,
        "adapter_path": adapter_dir,
        "parameters": info["parameters"],
        "dtype": info["dtype"],
        "elapsed_s": info["elapsed_s"],
    }
    frame = ctx.spark.createDataFrame(
        [tuple(row.values())],
        "save_path string, base_model string, adapter_path string, parameters bigint, dtype string, elapsed_s double",
    )
    output_table = options.get("outputTable", "").strip()
    if output_table:
        frame.createOrReplaceTempView(output_table)
    return frame


def _replace_folder(staging: Path, target: Path) -> None:
    """Swaps the finished folder in; an old model at savePath is removed only once the new one is whole."""
    if not target.exists():
        staging.rename(target)
        return
    retired = target.with_name(f".{target.name}.old-{secrets.token_hex(3)}")
    target.rename(retired)
    staging.rename(target)
    shutil.rmtree(retired, ignore_errors=True)
