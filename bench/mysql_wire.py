"""The same result over the MySQL wire and over ``POST /run/script`` JSON, from one ``byzer serve``.

    .venv/bin/python bench/mysql_wire.py [--rows 200000] [--big-rows 1000000]

Starts ``byzer serve --mysql-port`` on free loopback ports (its own embedded Spark, a temporary
data root), warms both paths up, then fetches ``--rows`` rows of five columns through each (the wire
with mysql-connector-python's C extension when it is there, else pure Python; HTTP with httpx and
``outputSize`` set to the row count). Then it fetches ``--big-rows`` rows over the wire while
sampling the server's resident memory (the Python process and its JVM). The last line is
``ratio: X.XX`` = wire seconds / HTTP seconds.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import mysql.connector

TOKEN = "bench-token"
ROOT = Path(__file__).resolve().parent.parent


def _query(rows: int) -> str:
    return (
        f"SELECT id, id * 2 AS twice, concat('name-', id) AS name, id / 3.0 AS third, "
        f"date_add(date'2024-01-01', cast(id % 365 as int)) AS day FROM range({rows})"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and its children (the JVM), from /proc."""
    total = 0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            with open(f"/proc/{current}/status") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            with open(f"/proc/{current}/task/{current}/children") as handle:
                pids.extend(int(p) for p in handle.read().split())
        except OSError:
            continue
    return total


def _wire(port: int) -> mysql.connector.MySQLConnection:
    try:
        return mysql.connector.connect(
            host="127.0.0.1", port=port, user="bench", password=TOKEN, use_pure=False
        )
    except Exception:
        return mysql.connector.connect(
            host="127.0.0.1", port=port, user="bench", password=TOKEN, use_pure=True
        )


def fetch_wire(port: int, rows: int) -> tuple[float, int]:
    connection = _wire(port)
    try:
        cursor = connection.cursor()
        start = time.perf_counter()
        cursor.execute(_query(rows))
        count = 0
        while True:
            batch = cursor.fetchmany(10000)
            if not batch:
                break
            count += len(batch)
        return time.perf_counter() - start, count
    finally:
        connection.close()


def fetch_http(url: str, rows: int) -> tuple[float, int]:
    start = time.perf_counter()
    response = httpx.post(
        f"{url}/run/script",
        data={"sql": _query(rows) + " as t;", "owner": "bench", "outputSize": str(rows)},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=1800,
    )
    response.raise_for_status()
    count = len(response.json())
    return time.perf_counter() - start, count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--big-rows", type=int, default=1_000_000)
    args = parser.parse_args()
    http_port, mysql_port = _free_port(), _free_port()
    root = Path(tempfile.mkdtemp(prefix="byzer-bench-wire-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("BYZER_")}
    env["BYZER_TOKEN"] = TOKEN
    log = open(root / "serve.log", "wb")  # noqa: SIM115 - closed after the server stops
    command = [
        str(Path(sys.executable).parent / "byzer"), "serve", "--port", str(http_port),
        "--mysql-port", str(mysql_port), "--data-root", str(root / "data"), "--log-level", "warning",
    ]  # fmt: skip
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    url = f"http://127.0.0.1:{http_port}"
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/health/readiness", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(1)
        fetch_wire(mysql_port, 1000)
        fetch_http(url, 1000)
        http_s, http_n = fetch_http(url, args.rows)
        wire_s, wire_n = fetch_wire(mysql_port, args.rows)
        assert http_n == wire_n == args.rows, (http_n, wire_n)
        print(f"{args.rows} rows over /run/script JSON: {http_s:.2f}s")
        print(f"{args.rows} rows over the MySQL wire:   {wire_s:.2f}s")

        peak = [_tree_rss_kib(server.pid)]
        before = peak[0]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], _tree_rss_kib(server.pid))
                time.sleep(0.1)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        big_s, big_n = fetch_wire(mysql_port, args.big_rows)
        done.set()
        sampler.join()
        assert big_n == args.big_rows
        print(
            f"{args.big_rows} rows over the MySQL wire: {big_s:.2f}s; server RSS before "
            f"{before / 1024:.0f} MiB, peak {peak[0] / 1024:.0f} MiB"
        )
        print(f"ratio: {wire_s / http_s:.2f}")
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


if __name__ == "__main__":
    main()
