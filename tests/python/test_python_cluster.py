"""The same Byzer-python script on a Spark standalone cluster (master + worker on loopback) with an
external Ray (the test run's, passed as BYZER_RAY_ADDRESS) returns what it returns embedded.

As in ``tests/runtime/test_cluster.py`` (whose functions this reuses), the cluster run is ``byzer run
FILE --master spark://...`` in a subprocess: this process already holds the embedded SparkContext.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from byzer_engine.runtime import Engine

pytestmark = pytest.mark.cluster

_spec = importlib.util.spec_from_file_location(
    "runtime_cluster_support", Path(__file__).resolve().parents[1] / "runtime" / "test_cluster.py"
)
assert _spec is not None and _spec.loader is not None
cluster_support: Any = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = cluster_support  # dataclasses look their module up there
_spec.loader.exec_module(cluster_support)

SCRIPT = """select id as a from range(0, 20000, 1, 2) as numbers;
!python conf "dataMode=data";
!python conf "schema=st(field(n,long),field(total,long))";
run command as Ray.`` where inputTable="numbers" and keepPartitionNum="true" and code='''
from pyjava.api.mlsql import RayContext
def summarize(rows):
    values = [r["a"] * 2 for r in rows]
    yield {"n": len(values), "total": sum(values)}
RayContext.connect(globals(), None).map_iter(summarize)
''' as sums;
select sum(n) as n, sum(total) as total, count(*) as partitions from sums as out;
"""


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Any]:
    env = cluster_support.daemon_env(tmp_path)
    port, ui_port, worker_ui_port = (
        cluster_support.free_port(),
        cluster_support.free_port(),
        cluster_support.free_port(),
    )
    master_url = f"spark://127.0.0.1:{port}"
    processes: list[subprocess.Popen[bytes]] = []
    logs = [tmp_path / "master.log", tmp_path / "worker.log"]
    try:
        cluster_support.start_daemon(
            [
                "org.apache.spark.deploy.master.Master",
                *("--host", "127.0.0.1", "--port", str(port), "--webui-port", str(ui_port)),
            ],
            env,
            logs[0],
            processes,
        )
        cluster_support.start_daemon(
            [
                "org.apache.spark.deploy.worker.Worker",
                master_url,
                *("--host", "127.0.0.1", "--cores", "2", "--memory", "1g"),
                *("--webui-port", str(worker_ui_port), "--work-dir", str(tmp_path / "worker-work")),
            ],
            env,
            logs[1],
            processes,
        )
        handle = cluster_support.Cluster(master_url, f"http://127.0.0.1:{ui_port}", processes, logs)
        handle.wait_for_worker()
        yield handle
    finally:
        for process in reversed(processes):
            cluster_support.stop(process)


def test_python_script_on_a_standalone_cluster_with_external_ray(
    cluster: Any, engine: Engine, ray_address: str, tmp_path: Path
) -> None:
    script = tmp_path / "py.byzer"
    script.write_text(SCRIPT)
    (tmp_path / "byzer.toml").write_text(cluster_support.CLUSTER_TOML.replace('"1"', '"2"', 1))
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BYZER_", "SPARK_", "PYSPARK_"))}
    env.update(
        SPARK_LOCAL_IP="127.0.0.1",
        BYZER_CONFIG=str(tmp_path / "byzer.toml"),
        BYZER_DATA_ROOT=str(tmp_path / "data"),
        BYZER_RAY_ADDRESS=ray_address,
    )
    command = [
        *cluster_support.byzer_command(),
        "run",
        str(script),
        "--master",
        cluster.master_url,
        "--format",
        "json",
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, cwd=workdir, env=env, timeout=540, check=False
    )
    assert done.returncode == 0, f"{done.stderr}\n{cluster.log_tail()}"
    on_cluster = json.loads(done.stdout)
    embedded = engine.run_script(SCRIPT, owner="py_cluster_reference").rows
    assert on_cluster == embedded == [{"n": 20000, "total": 2 * sum(range(20000)), "partitions": 2}]
    apps = cluster.state()["completedapps"] + cluster.state()["activeapps"]
    assert any(app["name"] == "byzer-engine" for app in apps), apps
