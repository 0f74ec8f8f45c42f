"""``run command as LLM.`` where action="infer" and ...``: deploy a pool and register its SQL function.

Setup keys (``!byzerllm setup``) and the deploy's own options decide the pool; the model starts on Ray
(or a running pool with the same settings is kept, or ``reconnect="true"`` only re-registers an
existing one); then the function and the helper functions are registered in the owner's Spark session.
The statement's result is a one-row table describing the deployment.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from byzer_engine.lang.errors import ByzerError
from byzer_engine.llm.backends import AUTO, backend_for
from byzer_engine.llm.backends.base import Backend, BackendConfig
from byzer_engine.llm.deploy_options import DeployOptions, parse_deploy_options
from byzer_engine.llm.packaged import DEFAULT_MODEL_NAME, ModelLocation, default_model, resolve_model
from byzer_engine.llm.pool.cache import cache_folder, model_identity
from byzer_engine.llm.settings import Resolved, current, resolve

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from byzer_engine.llm.pool.spec import PoolSpec
    from byzer_engine.runtime.ets.base import ETContext

RESULT_COLUMNS = (
    ("udfName", "string"),
    ("status", "string"),
    ("backend", "string"),
    ("pretrainedModelType", "string"),
    ("model", "string"),
    ("workers", "int"),
    ("num_gpus", "double"),
    ("num_cpus", "double"),
    ("load_balance", "string"),
    ("ray_address", "string"),
)


def _backend(
    ctx: ETContext, deploy: DeployOptions, settings: Resolved, remote_cluster: bool
) -> type[Backend]:
    if deploy.kind != "saas" and settings.infer_backend == "saas":
        raise ByzerError(
            f'infer_backend=saas needs a saas/* pretrainedModelType (got "{deploy.model_type}"); '
            'run !byzerllm setup "infer_backend=transformers"; for a local model'
        )
    model = None
    if settings.infer_backend == AUTO and deploy.kind == "causal":
        model = _model_dir(ctx, deploy, remote_cluster) or default_model()
    return backend_for(deploy.kind, settings.infer_backend, model)


def _model_dir(ctx: ETContext, deploy: DeployOptions, remote_cluster: bool) -> ModelLocation | None:
    """The deploy's localModelDir resolved (None when it names none)."""
    if not deploy.local_model_dir:
        return None
    path = ctx.resolve_path(deploy.local_model_dir)
    if remote_cluster and not Path(path).exists():
        return ModelLocation(path)  # only the cluster's workers can see it
    return resolve_model(path)


def _location(
    ctx: ETContext, deploy: DeployOptions, backend: type[Backend], remote_cluster: bool
) -> ModelLocation | None:
    """The model to load (None: the packaged default, resolved by each worker)."""
    if not backend.loads_local_model:
        return None
    return _model_dir(ctx, deploy, remote_cluster)


def _gpus(settings: Resolved, backend: type[Backend]) -> float:
    import ray

    if not backend.uses_local_compute:
        return 0.0
    if settings.num_gpus is not None:
        gpus = settings.num_gpus
    else:
        gpus = 1.0 if ray.cluster_resources().get("GPU", 0.0) >= 1 else 0.0
    if backend.needs_gpu and gpus <= 0:
        raise ByzerError(
            f'infer_backend={settings.infer_backend} runs on a GPU: set !byzerllm setup "num_gpus=1"; '
            "(or a fraction)"
        )
    return gpus


def _threads(deploy: DeployOptions, settings: Resolved, remote_cluster: bool) -> int | None:
    """Torch threads per CPU worker: its reserved CPUs, else an even share of this machine's cores."""
    if "threads" in deploy.backend:
        return max(1, int(deploy.backend["threads"]))
    if settings.num_cpus is not None and settings.num_cpus >= 1:
        return int(settings.num_cpus)
    if remote_cluster:
        return None
    return max(1, (os.cpu_count() or 1) // settings.workers)


def build_spec(ctx: ETContext, deploy: DeployOptions, settings: Resolved, remote_cluster: bool) -> PoolSpec:
    from byzer_engine.llm.pool.spec import PoolSpec

    backend = _backend(ctx, deploy, settings, remote_cluster)
    location = _location(ctx, deploy, backend, remote_cluster)
    io_bound = not backend.uses_local_compute
    num_cpus = settings.num_cpus if settings.num_cpus is not None else (0.0 if io_bound else 1.0)
    label = location.name if location is not None else backend.model_label(deploy)
    model_name = label or DEFAULT_MODEL_NAME
    extra = backend.deploy_extra(ctx, deploy)
    config = BackendConfig(
        backend=backend.name,
        model_type=deploy.model_type,
        model_dir=location.directory if location else None,
        gguf_file=location.gguf_file if location else None,
        model_name=model_name,
        options={"prefix_order": "true" if settings.prefix_order else "false", **deploy.backend},
        saas=dict(deploy.saas),
        num_gpus=_gpus(settings, backend),
        num_cpus=num_cpus,
        threads=None if io_bound else _threads(deploy, settings, remote_cluster),
        extra=extra,
    )
    return PoolSpec(
        name=deploy.udf_name,
        backend=config,
        workers=settings.workers,
        worker_max_concurrency=settings.worker_max_concurrency,
        load_balance=settings.load_balance,
        batch_window_s=settings.batch_window_s,
        resources=dict(settings.resources),
        owner=ctx.owner,
        cache_folder=cache_folder(ctx.config.data_root) if settings.cache else "",
        cache_identity=_cache_identity(config, backend, location) if settings.cache else "",
        cache_max_bytes=settings.cache_max_mb * 1024 * 1024,
        prefix_order=settings.prefix_order,
    )


def _cache_identity(config: BackendConfig, backend: type[Backend], location: ModelLocation | None) -> str:
    """The model's identity for the result cache; "" (no cache) for a backend whose answers depend on
    more than a model folder here (a hosted model, retrieval over an index) or a folder not visible."""
    if not backend.loads_local_model:
        return ""
    folder = (location or default_model()).directory
    if not Path(folder).is_dir():
        return ""
    return model_identity(config, folder)


def _result(ctx: ETContext, info: dict[str, Any], status: str, address: str) -> DataFrame:
    row = (
        info.get("name", ""),
        status,
        info.get("backend", ""),
        info.get("model_type", ""),
        info.get("model", ""),
        int(info.get("workers", 0)),
        float(info.get("num_gpus", 0.0)),
        float(info.get("num_cpus", 0.0)),
        info.get("load_balance", ""),
        address,
    )
    schema = ", ".join(f"`{name}` {kind}" for name, kind in RESULT_COLUMNS)
    return ctx.spark.createDataFrame([row], schema)


def infer(ctx: ETContext, options: dict[str, str]) -> DataFrame:
    from byzer_engine.llm.pool import client
    from byzer_engine.llm.semantic import rewrite_typed_calls
    from byzer_engine.llm.semantic_udf import SemanticTarget, register_semantic
    from byzer_engine.llm.sql_functions import register_helpers
    from byzer_engine.llm.udf import UdfTarget, register_udf
    from byzer_engine.llm.usage import Limits
    from byzer_engine.runtime.ray_connect import ensure_ray, requested_address

    deploy = parse_deploy_options(options)
    settings = resolve(current(ctx.owner_state), options)
    requested = requested_address(ctx.config, settings.ray_address)
    address = ensure_ray(requested)
    remote_cluster = requested is not None and not requested.startswith(("127.", "localhost"))
    if deploy.reconnect:
        info = client.describe(deploy.udf_name)
        if info is None:
            raise ByzerError(
                f"reconnect=\"true\" but no model is deployed as '{deploy.udf_name}' on the Ray at {address}; "
                'deploy it first (reconnect="false")'
            )
        status = "reconnected"
    else:
        info, status = client.deploy(build_spec(ctx, deploy, settings, remote_cluster))
    target = UdfTarget(
        name=deploy.udf_name,
        ray_address=address,
        timeout_s=settings.timeout_s,
        fail_on_error=deploy.fail_on_error,
        limits=Limits.from_settings(settings.limits),
        capacity=int(info.get("capacity") or 0),
    )
    register_udf(ctx.spark, target)
    register_helpers(ctx.spark)
    register_semantic(ctx.spark, SemanticTarget(address, settings.timeout_s, target.limits))
    ctx.engine.add_sql_rewriter(rewrite_typed_calls)
    return _result(ctx, info, status, address)
