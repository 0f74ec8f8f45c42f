"""A script runs unchanged on a Spark standalone cluster (a master and one worker on loopback) and
returns what it returns on the embedded engine.

The test process already holds the embedded SparkContext of the shared ``engine`` fixture, and a
process gets one SparkContext, so the cluster run is ``byzer run FILE --master spark://...`` in a
subprocess. The master and the worker come from the pyspark package itself (``bin/spark-class``).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from byzer_engine.runtime import Engine

pytestmark = pytest.mark.cluster

DATA_DIR = Path(__file__).resolve().parents[1] / "scripts" / "data"
SCRIPT = """\
load csv.`${DATA}/people.csv` where header="true" and inferSchema="true" as people;
select city, count(*) as n, max(age) as oldest, min(joined) as first_joined
from people group by city as by_city;
save overwrite by_city as parquet.`out/by_city`;
load parquet.`out/by_city` as back;
select * from back order by city as t;
"""
# Small JVMs: the master and the worker daemons, the driver of ``byzer run`` and one executor.
DAEMON_MEMORY = "256m"
CLUSTER_TOML = """\
[spark_conf]
"spark.driver.memory" = "512m"
"spark.executor.memory" = "512m"
"spark.cores.max" = "1"
"spark.sql.shuffle.partitions" = "2"
"""
START_TIMEOUT_S = 180


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def byzer_command() -> list[str]:
    script = Path(sys.executable).with_name("byzer")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "from byzer_engine.cli import main; main()"]


@dataclass
class Cluster:
    master_url: str
    ui_url: str
    processes: list[subprocess.Popen[bytes]]
    logs: list[Path]

    def state(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.ui_url}/json/", timeout=5) as response:
            value: dict[str, Any] = json.load(response)
            return value

    def log_tail(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}" for log in self.logs)

    def wait_for_worker(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            for process in self.processes:
                if process.poll() is not None:
                    pytest.fail(f"a Spark daemon exited with {process.returncode}:\n{self.log_tail()}")
            try:
                if self.state().get("aliveworkers", 0) >= 1:
                    return
            except OSError:
                pass
            time.sleep(1)
        pytest.fail(f"no worker registered with the master in {START_TIMEOUT_S}s:\n{self.log_tail()}")


def daemon_env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BYZER_", "SPARK_", "PYSPARK_"))}
    conf_dir = root / "spark-conf"
    conf_dir.mkdir(exist_ok=True)
    env.update(
        SPARK_HOME=str(spark_home()),
        SPARK_LOCAL_IP="127.0.0.1",
        SPARK_CONF_DIR=str(conf_dir),
        SPARK_DAEMON_MEMORY=DAEMON_MEMORY,
    )
    return env


def start_daemon(
    args: list[str], env: dict[str, str], log: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    command = [str(spark_home() / "bin" / "spark-class"), *args]
    with log.open("wb") as out:
        # A process group of its own: stopping it stops the JVM and whatever it started (executors).
        processes.append(
            subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    for sig, wait_s in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=wait_s)
            break
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    env = daemon_env(tmp_path)
    port, ui_port, worker_ui_port = free_port(), free_port(), free_port()
    master_url = f"spark://127.0.0.1:{port}"
    processes: list[subprocess.Popen[bytes]] = []
    logs = [tmp_path / "master.log", tmp_path / "worker.log"]
    try:
        start_daemon(
            [
                "org.apache.spark.deploy.master.Master",
                *("--host", "127.0.0.1", "--port", str(port), "--webui-port", str(ui_port)),
            ],
            env,
            logs[0],
            processes,
        )
        start_daemon(
            [
                "org.apache.spark.deploy.worker.Worker",
                master_url,
                *("--host", "127.0.0.1", "--cores", "1", "--memory", "1g"),
                *("--webui-port", str(worker_ui_port), "--work-dir", str(tmp_path / "worker-work")),
            ],
            env,
            logs[1],
            processes,
        )
        handle = Cluster(master_url, f"http://127.0.0.1:{ui_port}", processes, logs)
        handle.wait_for_worker()
        yield handle
    finally:
        for process in reversed(processes):
            stop(process)


def test_script_runs_unchanged_on_a_standalone_cluster(
    cluster: Cluster, engine: Engine, tmp_path: Path
) -> None:
    script = tmp_path / "etl.byzer"
    script.write_text(SCRIPT)
    (tmp_path / "byzer.toml").write_text(CLUSTER_TOML)
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BYZER_", "SPARK_", "PYSPARK_"))}
    env.update(
        SPARK_LOCAL_IP="127.0.0.1",
        BYZER_CONFIG=str(tmp_path / "byzer.toml"),
        BYZER_DATA_ROOT=str(tmp_path / "data"),
    )
    command = [
        *byzer_command(),
        *("run", str(script), "--master", cluster.master_url, "--format", "json"),
        *("--var", f"DATA={DATA_DIR}"),
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, cwd=workdir, env=env, timeout=420, check=False
    )
    assert done.returncode == 0, f"{done.stderr}\n{cluster.log_tail()}"
    on_cluster = json.loads(done.stdout)

    embedded = engine.run_script(SCRIPT, owner="cluster_reference", variables={"DATA": str(DATA_DIR)})
    assert on_cluster == embedded.rows
    assert on_cluster == [
        {"city": "berlin", "n": 1, "oldest": None, "first_joined": "2023-01-02"},
        {"city": "paris", "n": 2, "oldest": 45, "first_joined": "2019-07-15"},
        {"city": "rome", "n": 2, "oldest": 39, "first_joined": "2020-05-20"},
    ]
    # The relative path resolved in the CLI's home (its working directory), written by the executor.
    assert list((workdir / "out" / "by_city").glob("*.parquet"))
    # The job ran as an application of this master, on its worker.
    apps = cluster.state()["completedapps"] + cluster.state()["activeapps"]
    assert any(app["name"] == "byzer-engine" for app in apps), apps
