"""One ``run command as Ray`` statement, on the engine's side.

1. Policy, settings, the declared schema and the code's syntax are checked before anything runs.
2. The input table is split into N partitions; one ``DataServer`` actor per partition receives its
   Arrow batches straight from the Spark tasks (``spark_io.feed``).
3. A ``CodeRunner`` actor runs the code once; ``context``/``RayContext`` read the servers, and in data
   mode ``foreach``/``map_iter`` run the user's function on every server in parallel.
4. Spark tasks pull the output tables from the actors that hold them (``spark_io.read``) into a
   DataFrame of the declared schema, checkpointed on the executors; then every actor is killed,
   whether the statement succeeded, failed or was killed.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from byzer_engine.lang.errors import ByzerError, ByzerRuntimeError
from byzer_engine.policy import PYTHON, Policy
from byzer_engine.python.schema import parse_schema
from byzer_engine.python.settings import settings_of
from byzer_engine.python.usercode import CodePlace, compile_code, locate

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from byzer_engine.runtime.ets.base import ETContext

NO_SCHEMA_MESSAGE = (
    "Using `!python conf` to specify the python return value format is required. "
    'e.g. !python conf "schema=st(field(a,long),field(b,string))";'
)
DRIVER_PREFIX = "An exception was encountered in the execution of this python task! Please check your code.\n"
FILE_COLUMNS = ["start", "offset", "value"]
BLOCK_ROWS = 1024
NAMESPACE = "byzer"
OWNER_ENV = "BYZER_PYTHON_OWNER"


@dataclass
class _Actors:
    """Every actor a run starts, so that all of them end with it."""

    handles: list[Any] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, handle: Any) -> Any:
        with self.lock:
            self.handles.append(handle)
        return handle

    def kill_all(self) -> None:
        import ray

        with self.lock:
            handles, self.handles = self.handles, []
        for handle in handles:
            try:
                ray.kill(handle, no_restart=True)
            except Exception:
                pass


def _code_of(spark: SparkSession, options: dict[str, str]) -> str:
    code = options.get("code")
    if not code:
        raise ByzerError("run command as Ray needs code='''...'''")
    if code.startswith("py.") and "\n" not in code:
        table = code[3:]
        row = spark.table(table).first()
        if row is None:
            raise ByzerError(f"code={code}: table '{table}' is empty")
        try:
            return str(json.loads(row[0])["content"])
        except (ValueError, KeyError, TypeError):
            return str(row[0])
    return code


def _conf_of(ctx: ETContext, options: dict[str, str]) -> dict[str, str]:
    conf = dict(settings_of(ctx.owner_state).conf)
    conf_table = options.get("confTable")
    if conf_table:
        for row in ctx.spark.table(conf_table).collect():
            conf[str(row[0])] = str(row[1])
    return conf


def _partitions(df: DataFrame, options: dict[str, str], spark: SparkSession) -> DataFrame:
    if df.columns == FILE_COLUMNS:
        return df.orderBy("start").coalesce(1)
    current = df.rdd.getNumPartitions()
    if options.get("keepPartitionNum", "false").lower() == "true":
        return df
    cores = spark.sparkContext.defaultParallelism
    cap = max(cores // 2 - 1, 1)
    return df.coalesce(cap) if current > cap else df


def _scheduling(conf: dict[str, str]) -> dict[str, Any]:
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    if conf.get("runIn", "executor") == "driver":
        node = ray.get_runtime_context().get_node_id()
        return {"scheduling_strategy": NodeAffinitySchedulingStrategy(node_id=node, soft=True)}
    return {}


def _wait_ready(handles: list[Any], timeout_s: float) -> list[Any]:
    import ray

    refs = [h.ready.remote() for h in handles]
    done, pending = ray.wait(refs, num_returns=len(refs), timeout=timeout_s)
    if pending:
        raise ByzerRuntimeError(
            f"Fail to start socket server(data server) within {timeout_s:g} seconds: "
            f"{len(done)} started, {len(refs)} expected"
        )
    return list(ray.get(refs))


def _ray_failure(exc: BaseException) -> ByzerRuntimeError:
    text = str(exc).strip().splitlines()
    first = next((line for line in text if line.strip()), type(exc).__name__)
    return ByzerRuntimeError(f"the Python process failed: {first}")


def run_python(ctx: ETContext, options: dict[str, str], place_of: Callable[[str], CodePlace]) -> DataFrame:
    """Runs the statement's code; the output DataFrame (registered as ``outputTable`` too)."""
    Policy.from_config(ctx.config).require(PYTHON, "running Python code (run command as Ray)")
    if options.get("model"):
        raise ByzerError("run command as Ray: model=... is not supported by this engine")
    spark = ctx.spark
    code = _code_of(spark, options)
    conf = _conf_of(ctx, options)
    schema_text = conf.get("schema")
    if not schema_text:
        raise ByzerError(NO_SCHEMA_MESSAGE)
    schema = parse_schema(schema_text, lambda ddl: spark.createDataFrame([], ddl).schema)
    place = place_of(code)
    compile_code(place)  # a syntax error stops the statement before anything runs
    input_name = options.get("inputTable") or "command"
    input_df = None if input_name.lower() == "command" else spark.table(input_name)
    data_mode = conf.get("dataMode", "model")
    if data_mode not in ("model", "data"):
        raise ByzerError(f"dataMode must be model or data, not {data_mode!r}")

    from byzer_engine.runtime.ray_connect import ensure_ray, requested_address

    ray_address = ensure_ray(requested_address(ctx.config, conf.get("rayAddress")))
    actors = _Actors()
    ctx.on_cancel(actors.kill_all)
    try:
        df = _run(ctx, options, conf, schema, place, input_df, data_mode, ray_address, actors)
    finally:
        actors.kill_all()
    output = options.get("outputTable")
    if output:
        df.createOrReplaceTempView(output)
    return df


def _run(
    ctx: ETContext,
    options: dict[str, str],
    conf: dict[str, str],
    schema: Any,
    place: CodePlace,
    input_df: DataFrame | None,
    data_mode: str,
    ray_address: str,
    actors: _Actors,
) -> DataFrame:
    import ray

    from byzer_engine.python import servers, spark_io

    spark = ctx.spark
    settings = settings_of(ctx.owner_state)
    run_id = uuid.uuid4().hex[:12]
    env = {str(k): str(v) for k, v in settings.env.items()}
    env[OWNER_ENV] = ctx.owner
    num_cpus = float(conf.get("num_cpus", "0") or 0)
    num_gpus = float(conf.get("num_gpus", "0") or 0)
    # An actor has a worker process to itself, which ends with it: no process is shared between runs
    # (or owners). The environment is set by the actor itself, so Ray can use its pre-started workers.
    common: dict[str, Any] = {"namespace": NAMESPACE, **_scheduling(conf)}
    timezone = spark.conf.get("spark.sql.session.timeZone") or "UTC"
    schema_json = schema.json()
    python_conf = {
        **conf,
        "HOME": ctx.home,
        "OWNER": ctx.owner,
        "GROUP_ID": ctx.group_id,
        "groupId": ctx.group_id,
        "PY_EXECUTE_USER": ctx.owner,
    }
    server_infos: list[dict[str, Any]] = []
    input_schema_json = ""
    try:
        if input_df is not None:
            input_df = _partitions(input_df, options, spark)
            input_schema_json = input_df.schema.json()
            count = max(input_df.rdd.getNumPartitions(), 1)
            names = [f"byzer-python-{run_id}-server-{i}" for i in range(count)]
            remote_server = ray.remote(servers.DataServer)
            handles = [
                actors.add(
                    # Threaded (max_concurrency): in ``!python on`` the code runs inside the server and
                    # fetches its own partition from it, which a one-call-at-a-time actor would deadlock.
                    remote_server.options(
                        name=name, num_cpus=num_cpus, num_gpus=num_gpus, max_concurrency=4, **common
                    ).remote(i, ctx.home, env, schema_json, BLOCK_ROWS)
                )
                for i, name in enumerate(names)
            ]
            timeout = float(options.get("dataWaitServerReadyTimeout", "300"))
            ready = _wait_ready(handles, timeout)
            server_infos = [
                {"host": host, "port": index, "timezone": timezone, "server_id": names[index]}
                for host, _pid, index in ready
            ]
            if count > 0 and input_df.rdd.getNumPartitions() > 0:
                spark_io.feed(input_df, names, NAMESPACE, ray_address)
        setup = {
            "conf": python_conf,
            "servers": server_infos,
            "output_schema_json": schema_json,
            "input_schema_json": input_schema_json,
            "data_mode": data_mode,
            "namespace": NAMESPACE,
            "runner_name": f"byzer-python-{run_id}-runner",
        }
        if options.get("perPartition") == "true":
            outputs = _run_per_partition(server_infos, place, setup, conf)
        else:
            outputs = _run_code(place, setup, conf, ctx.home, env, common, actors)
        if not outputs:
            return spark.createDataFrame([], schema)
        df = spark_io.read(spark, outputs, NAMESPACE, ray_address, schema)
        return df.localCheckpoint(eager=True)
    except ray.exceptions.RayError as exc:
        raise _ray_failure(exc) from None


def _raise_user_error(text: str, conf: dict[str, str]) -> None:
    prefix = DRIVER_PREFIX if conf.get("runIn") == "driver" else ""
    raise ByzerRuntimeError(f"{prefix}the Python code failed:\n{text}")


def _run_code(
    place: CodePlace,
    setup: dict[str, Any],
    conf: dict[str, str],
    home: str,
    env: dict[str, str],
    common: dict[str, Any],
    actors: _Actors,
) -> list[str]:
    import ray

    from byzer_engine.python import servers

    runner = actors.add(
        ray.remote(servers.CodeRunner)
        .options(name=setup["runner_name"], num_cpus=0, **common)
        .remote(home, env)
    )
    outcome = ray.get(runner.run.remote(place, setup))
    if "error" in outcome:
        _raise_user_error(outcome["error"], conf)
    return list(outcome["outputs"])


def _run_per_partition(
    server_infos: list[dict[str, Any]], place: CodePlace, setup: dict[str, Any], conf: dict[str, str]
) -> list[str]:
    """Legacy ``!python on``: the code runs once in every data server, over its own partition."""
    import ray

    names = [info["server_id"] for info in server_infos]
    calls = [ray.get_actor(name, namespace=NAMESPACE).run_code.remote(place, setup) for name in names]
    outcomes: list[dict[str, Any]] = ray.get(calls)
    for outcome in outcomes:
        if "error" in outcome:
            _raise_user_error(outcome["error"], conf)
    return names


def place_in(span: Any, code: str) -> CodePlace:
    """Where ``code`` sits in the statement of ``span`` (a ``lang`` ``Span``; ``None``: unknown)."""
    if span is None:
        return CodePlace(code, "<script>", 1, 1)
    return locate(code, span.raw, span.file, span.line, span.column)


__all__ = ["NO_SCHEMA_MESSAGE", "place_in", "run_python"]
