"""A real ``byzer serve`` process with per-owner tokens, for the server-side security tests.

The server has the admin token, one token for alice, one for bob, and one for both ``carol`` and
``dave``; small template and output bounds (so the bound tests are quick) come from its config file.
``start_server`` starts another one when a test needs a server of its own (one whose JVM it kills).
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

ADMIN_TOKEN = "admin-token-5c2e9a"
ALICE_TOKEN = "alice-token-81f0b3"
BOB_TOKEN = "bob-token-0e44d7"
PAIR_TOKEN = "carol-dave-token-3a9c"
STARTUP_TIMEOUT_S = 300

TOKENS_FILE = f"""\
"{ALICE_TOKEN}" = ["alice"]
"{BOB_TOKEN}" = ["bob"]
"{PAIR_TOKEN}" = ["carol", "dave"]
"""

CONFIG_FILE = """\
max_output_size = 5000
template_budget_s = 2.0
template_max_chars = 200000
template_max_iterations = 20000
"""


@dataclass(frozen=True)
class Server:
    url: str
    data_root: Path
    log_file: Path
    process: subprocess.Popen[bytes]

    def log_text(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")
        except OSError:
            return ""

    def client(self, token: str | None, timeout: float = 120) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(
    root: Path, *extra: str, env_extra: dict[str, str] | None = None, config_extra: str = ""
) -> Server:
    """Starts ``byzer serve`` with the test tokens (and ``config_extra`` lines of TOML) and waits until
    it is ready."""
    root.mkdir(parents=True, exist_ok=True)
    data_root = root / "data"
    data_root.mkdir(exist_ok=True)
    (root / "tokens.toml").write_text(TOKENS_FILE)
    (root / "byzer.toml").write_text(CONFIG_FILE + config_extra)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BYZER_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(env_extra or {})
    command = [
        sys.executable,
        "-m",
        "byzer_engine",
        "serve",
        "--port",
        str(port),
        "--token",
        ADMIN_TOKEN,
        "--tokens-file",
        str(root / "tokens.toml"),
        "--config",
        str(root / "byzer.toml"),
        "--data-root",
        str(data_root),
        "--threads",
        "64",
        *extra,
    ]
    log_file = root / "server.log"
    with open(log_file, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root)
    server = Server(f"http://127.0.0.1:{port}", data_root, log_file, process)
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"byzer serve exited with {process.returncode}:\n{server.log_text()[-4000:]}")
        try:
            if httpx.get(f"{server.url}/health/readiness", timeout=5).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    server.stop()
    raise RuntimeError(f"byzer serve was not ready after {STARTUP_TIMEOUT_S}s:\n{server.log_text()[-4000:]}")


@pytest.fixture(scope="session")
def sec_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("sec-server"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def admin(sec_server: Server) -> Iterator[httpx.Client]:
    with sec_server.client(ADMIN_TOKEN) as client:
        yield client


@pytest.fixture(scope="session")
def alice(sec_server: Server) -> Iterator[httpx.Client]:
    with sec_server.client(ALICE_TOKEN) as client:
        yield client


@pytest.fixture(scope="session")
def bob(sec_server: Server) -> Iterator[httpx.Client]:
    with sec_server.client(BOB_TOKEN) as client:
        yield client
