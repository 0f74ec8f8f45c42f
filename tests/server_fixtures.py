"""One real ``byzer serve`` process (its own embedded Spark) for the server, security and other tests
that talk to a server (registered for the whole run by ``tests/conftest.py``).

The server starts with a token, on a free loopback port, with a data root in a temporary folder.
When a collected test needs a deployed model, the test process starts (or joins) the test run's Ray
and hands its address to the server with BYZER_RAY_ADDRESS, so there is one Ray for the whole run;
``deployed_model`` deploys the packaged model once per module that uses it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from byzer_engine.client import Byzer

TOKEN = "test-token-7d1f"
STARTUP_TIMEOUT_S = 300  # a cold JVM on a busy 2-core machine can take a while
DEPLOYED_MODEL = "server_chat"
DEPLOY_TIMEOUT_S = 300


@dataclass(frozen=True)
class ServerProcess:
    url: str
    token: str
    data_root: Path
    log_file: Path
    process: subprocess.Popen[bytes]

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_file.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _needs_ray(session: pytest.Session) -> bool:
    return any("deployed_model" in getattr(item, "fixturenames", ()) for item in session.items)


def _wait_ready(server: ServerProcess) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"byzer serve exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            if httpx.get(f"{server.url}/health/readiness", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"byzer serve was not ready after {STARTUP_TIMEOUT_S}s:\n{server.log_tail()}")


@pytest.fixture(scope="session")
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("byzer-server")
    data_root = root / "data"
    data_root.mkdir()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BYZER_")}
    env["PYTHONUNBUFFERED"] = "1"
    # The callback receivers of these tests listen on loopback, which a server refuses by default.
    env["BYZER_ALLOW_PRIVATE_CALLBACKS"] = "true"
    if _needs_ray(request.session):
        from byzer_engine.runtime.ray_connect import ensure_ray

        env["BYZER_RAY_ADDRESS"] = ensure_ray(os.environ.get("BYZER_RAY_ADDRESS"))
    command = [
        sys.executable,
        "-m",
        "byzer_engine",
        "serve",
        "--port",
        str(port),
        "--token",
        TOKEN,
        "--data-root",
        str(data_root),
        "--threads",
        "64",
        "--log-level",
        "warning",
    ]
    log_file = root / "server.log"
    with open(log_file, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root)
    handle = ServerProcess(f"http://127.0.0.1:{port}", TOKEN, data_root, log_file, process)
    try:
        _wait_ready(handle)
        yield handle
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)


@pytest.fixture(scope="session")
def server_url(server: ServerProcess) -> str:
    return server.url


@pytest.fixture(scope="session")
def token(server: ServerProcess) -> str:
    return server.token


@pytest.fixture(scope="session")
def data_root(server: ServerProcess) -> Path:
    """The server's data root: owners' homes are folders in it."""
    return server.data_root


@pytest.fixture(scope="session")
def client(server: ServerProcess) -> Iterator[Byzer]:
    with Byzer(server.url, token=server.token) as byzer:
        yield byzer


@pytest.fixture(scope="session")
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    """A raw HTTP client with the token, for requests shaped as Byzer's own clients send them."""
    headers = {"Authorization": f"Bearer {server.token}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=300) as raw:
        yield raw


@pytest.fixture(scope="module")
def deployed_model(http: httpx.Client) -> Iterator[str]:
    """The packaged model deployed as ``server_chat`` through /run/script (owner admin); removed after."""
    deploy = (
        "!byzerllm setup single;\n"
        f'run command as LLM.`` where action="infer" and pretrainedModelType="custom/auto" '
        f'and udfName="{DEPLOYED_MODEL}" and modelTable="command";'
    )
    response = http.post("/run/script", data={"sql": deploy, "owner": "admin"}, timeout=DEPLOY_TIMEOUT_S)
    assert response.status_code == 200, response.text
    try:
        yield DEPLOYED_MODEL
    finally:
        http.post(
            "/run/script", data={"sql": f"!byzerllm model remove {DEPLOYED_MODEL};"}, timeout=DEPLOY_TIMEOUT_S
        )
