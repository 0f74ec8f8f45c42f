"""The HTTP server under load vs the same query through Engine.run_script in-process.

    .venv/bin/python bench/server.py [--clients 50] [--requests 20] [--record]

Starts ``byzer serve`` on a free loopback port (its own embedded Spark, a temporary data root), then:
one client sending requests one after another (the cost of the HTTP layer), and ``--clients``
clients each sending ``--requests`` requests at once. After the server has stopped, the same query
runs through an in-process Engine. The last line is ``ratio: X.XX`` = server p50 (one client) /
in-process p50. ``--record`` writes the figures into docs/benchmarks.md.

Then the noisy-neighbour run: 49 owners send ``select 1`` (as above) while one more owner keeps
sending pathological scripts (a template that grinds until its budget stops it, and a Spark job
that runs until its timeout); the 49 owners' p99 is reported with and without that owner.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

QUERY = "select 1 as a as t;"
# A template that would grind for long (stopped by the server's template budget), and a Spark job
# that would run for long (stopped by the request's timeout).
HOSTILE_SCRIPTS = [
    'select length(\'#set($big = "a")#foreach($i in [1..17])#set($big = "$big$big")#end'
    '#foreach($i in [1..1000000])#set($x = $big.replace("a", "b"))#end$x\') as n as t;',
    "select sum(hash(sha2(cast(id as string), 256))) as m from range(0, 10000000000) as t;",
]
NEIGHBOURS = 49
EXPECTED = [{"a": 1}]
SEQUENTIAL = 200
WARMUP = 30
ROOT = Path(__file__).resolve().parent.parent
SECTION = "## HTTP server under load (`bench/server.py`)"


@dataclass(frozen=True)
class Latencies:
    seconds: list[float]
    errors: int
    wall_s: float

    def pct(self, p: float) -> float:
        ordered = sorted(self.seconds)
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
        return ordered[index] * 1000

    @property
    def throughput(self) -> float:
        return len(self.seconds) / self.wall_s

    def line(self, label: str) -> str:
        return (
            f"{label:<38} n={len(self.seconds):>5} errors={self.errors:<3} p50={self.pct(50):7.1f} ms  "
            f"p95={self.pct(95):7.1f} ms  p99={self.pct(99):7.1f} ms  {self.throughput:6.1f} req/s"
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(data_root: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BYZER_")}
    command = [
        sys.executable,
        "-m",
        "byzer_engine",
        "serve",
        "--port",
        str(port),
        "--data-root",
        str(data_root),
    ]
    command += ["--threads", "64", "--log-level", "warning"]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/health/readiness", timeout=5).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    process.kill()
    raise SystemExit("the server did not become ready")


def timed_requests(url: str, count: int, owner: str) -> tuple[list[float], int]:
    seconds: list[float] = []
    errors = 0
    with httpx.Client(base_url=url, timeout=120) as http:
        for _ in range(count):
            start = time.perf_counter()
            try:
                response = http.post("/run/script", data={"sql": QUERY, "owner": owner})
                ok = response.status_code == 200 and response.json() == EXPECTED
            except httpx.HTTPError:
                ok = False
            seconds.append(time.perf_counter() - start)
            errors += 0 if ok else 1
    return seconds, errors


def bench_server(clients: int, requests: int) -> tuple[Latencies, Latencies]:
    with tempfile.TemporaryDirectory(prefix="byzer-bench-server-") as tmp:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        process = start_server(Path(tmp) / "data", port, Path(tmp) / "server.log")
        try:
            timed_requests(url, WARMUP, "warmup")
            start = time.perf_counter()
            seconds, errors = timed_requests(url, SEQUENTIAL, "solo")
            sequential = Latencies(seconds, errors, time.perf_counter() - start)

            start = time.perf_counter()
            with ThreadPoolExecutor(clients) as pool:
                results = list(
                    pool.map(lambda i: timed_requests(url, requests, f"owner{i % 8}"), range(clients))
                )
            wall = time.perf_counter() - start
            loaded = Latencies([s for r in results for s in r[0]], sum(r[1] for r in results), wall)
            quiet = neighbours(url, requests, hostile=False)
            noisy = neighbours(url, requests, hostile=True)
        finally:
            process.terminate()
            process.wait(timeout=60)
    return sequential, loaded, quiet, noisy


def neighbours(url: str, requests: int, *, hostile: bool) -> Latencies:
    """``NEIGHBOURS`` owners sending ``select 1``, with or without one owner sending hostile scripts."""
    stop = threading.Event()
    hostile_answers: list[int] = []

    def attacker() -> None:
        with httpx.Client(base_url=url, timeout=300) as http:
            turn = 0
            while not stop.is_set():
                script = HOSTILE_SCRIPTS[turn % len(HOSTILE_SCRIPTS)]
                turn += 1
                try:
                    answer = http.post(
                        "/run/script", data={"sql": script, "owner": "hostile", "timeout": "5000"}
                    )
                    hostile_answers.append(answer.status_code)
                except httpx.HTTPError:
                    hostile_answers.append(0)

    thread = threading.Thread(target=attacker, daemon=True)
    if hostile:
        thread.start()
        time.sleep(2)
    start = time.perf_counter()
    with ThreadPoolExecutor(NEIGHBOURS) as pool:
        results = list(pool.map(lambda i: timed_requests(url, requests, f"neighbour{i}"), range(NEIGHBOURS)))
    wall = time.perf_counter() - start
    stop.set()
    if hostile:
        thread.join(timeout=300)
        if not hostile_answers or any(code == 200 or code >= 500 for code in hostile_answers):
            raise SystemExit(f"the hostile scripts were not stopped as expected: {hostile_answers}")
    return Latencies([s for r in results for s in r[0]], sum(r[1] for r in results), wall)


def bench_in_process() -> Latencies:
    from byzer_engine.runtime import Engine, EngineConfig

    with tempfile.TemporaryDirectory(prefix="byzer-bench-engine-") as tmp:
        engine = Engine(EngineConfig.load(data_root=str(Path(tmp) / "data")))
        try:
            for _ in range(WARMUP):
                engine.run_script(QUERY)
            seconds: list[float] = []
            errors = 0
            start = time.perf_counter()
            for _ in range(SEQUENTIAL):
                t0 = time.perf_counter()
                rows = engine.run_script(QUERY).rows
                seconds.append(time.perf_counter() - t0)
                errors += 0 if rows == EXPECTED else 1
            return Latencies(seconds, errors, time.perf_counter() - start)
        finally:
            engine.close()


def memory_gib() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30


def record(text: str) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    doc = path.read_text()
    body = f"{SECTION}\n\n{text}\n"
    pattern = re.compile(re.escape(SECTION) + r"\n.*?(?=^## |\Z)", re.S | re.M)
    doc = pattern.sub(lambda _: body + "\n", doc) if pattern.search(doc) else doc.rstrip() + "\n\n" + body
    path.write_text(doc.rstrip() + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--record", action="store_true", help="write the figures into docs/benchmarks.md")
    args = parser.parse_args()

    sequential, loaded, quiet, noisy = bench_server(args.clients, args.requests)
    in_process = bench_in_process()
    ratio = sequential.pct(50) / in_process.pct(50)
    lines = [
        f"machine: {os.cpu_count()}-core {platform.machine()}, {memory_gib():.0f} GiB, CPU only; "
        f"Python {platform.python_version()}",
        sequential.line("server, 1 client, sequential"),
        loaded.line(f"server, {args.clients} clients x {args.requests} requests"),
        in_process.line("Engine.run_script in-process"),
        quiet.line(f"{NEIGHBOURS} owners, no hostile owner"),
        noisy.line(f"{NEIGHBOURS} owners + 1 hostile owner"),
        f"noisy neighbour (p99 with / without the hostile owner): {noisy.pct(99) / quiet.pct(99):.2f}",
        f"ratio (server p50, 1 client / in-process p50): {ratio:.2f}",
    ]
    print("\n".join(lines))
    if args.record:
        record(
            "Each request is a form POST of `select 1 as a as t;` to `/run/script` over loopback, answered\n"
            "by a full script run (parse, plan, Spark job, JSON rows); the in-process side calls\n"
            "`Engine.run_script` with the same script. Reproduce with `.venv/bin/python bench/server.py`.\n\n"
            "```\n" + "\n".join(lines) + "\n```"
        )
    errors = sequential.errors + loaded.errors + in_process.errors + quiet.errors + noisy.errors
    if errors:
        raise SystemExit(f"errors: {errors}")
    print(f"ratio: {ratio:.2f}")


if __name__ == "__main__":
    main()
