"""Network exposure: the embedded Spark driver and Ray listen on loopback only, Ray's processes go
with the server, and an async callback may not target loopback, link-local or private addresses."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import psutil
import pytest
from sec_server_fixtures import ADMIN_TOKEN, Server, start_server

LOOPBACK = {"127.0.0.1", "::1", "::ffff:127.0.0.1"}


def listening(process: psutil.Process) -> set[str]:
    addresses = set()
    for conn in process.net_connections(kind="inet"):
        if conn.status == psutil.CONN_LISTEN:
            addresses.add(conn.laddr.ip)
    return addresses


def descendants(server: Server) -> list[psutil.Process]:
    return psutil.Process(server.process.pid).children(recursive=True)


@pytest.mark.parametrize(
    "callback",
    [
        "http://127.0.0.1:9/done",
        "http://localhost:9/done",
        "http://[::1]:9/done",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/hook",
        "http://192.168.1.20/hook",
        "http://172.16.0.1/hook",
        "http://0.0.0.0:9/hook",
        "http://[::ffff:127.0.0.1]:9/hook",
    ],
)
def test_callbacks_to_private_addresses_are_refused(admin: httpx.Client, callback: str) -> None:
    answer = admin.post(
        "/run/script", data={"sql": "select 1 as x as t;", "async": "true", "callback": callback}
    )
    assert answer.status_code == 403, answer.text
    assert "refused" in answer.json()["message"]


def test_a_callback_must_be_http(admin: httpx.Client) -> None:
    answer = admin.post(
        "/run/script", data={"sql": "select 1 as x as t;", "async": "true", "callback": "file:///etc/passwd"}
    )
    assert answer.status_code == 400, answer.text


def test_the_spark_driver_listens_on_loopback_only(sec_server: Server, admin: httpx.Client) -> None:
    assert admin.post("/run/script", data={"sql": "select 1 as x as t;"}).status_code == 200
    jvms = [p for p in descendants(sec_server) if "java" in p.name()]
    assert jvms, "no JVM under the server"
    for jvm in jvms:
        addresses = listening(jvm)
        assert addresses, "the driver listens on nothing?"
        assert addresses <= LOOPBACK, addresses


@pytest.fixture(scope="module")
def ray_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("ray-server"))
    try:
        yield server
    finally:
        server.stop()


def _ray_processes(server: Server) -> list[psutil.Process]:
    found = []
    for process in descendants(server):
        try:
            text = " ".join(process.cmdline())
        except psutil.Error:
            continue
        if any(word in text for word in ("raylet", "gcs_server", "ray/_private", "default_worker.py")):
            found.append(process)
    return found


@pytest.mark.slow
def test_embedded_ray_binds_loopback_and_stops_with_the_server(ray_server: Server) -> None:
    with ray_server.client(ADMIN_TOKEN, timeout=600) as admin:
        answer = admin.post("/run/script", data={"sql": "!byzerllm model list;"})
        assert answer.status_code == 200, answer.text
    helpers = _ray_processes(ray_server)
    assert helpers, "no Ray processes under the server"
    for process in helpers:
        try:
            addresses = listening(process)
        except psutil.Error:
            continue
        assert addresses <= LOOPBACK, (process.name(), addresses)
    pids = [p.pid for p in helpers]
    ray_server.stop()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        alive = [pid for pid in pids if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]
        if not alive:
            break
        time.sleep(1)
    else:
        raise AssertionError(f"Ray processes left after the server stopped: {alive}")
