"""Byzer Notebook's page weight and first-load time, in a real headless Chromium.

    .venv/bin/python bench/console.py [--runs 5]

Starts ``byzer serve`` on a free loopback port (a temporary data root, a token), then opens the
console ``--runs`` times in fresh browser contexts (empty cache): the bytes the first load fetches
(page, scripts, styles; the chart library is loaded only when a chart is drawn and is counted
apart), the time until the login form is usable, and the time from "Log in" to the notebook list.
The last line is ``ratio: X.XX`` = median first-load time / the 1000 ms target (below 1 is better).
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import Response, sync_playwright

TOKEN = "bench-console-token"
TARGET_MS = 1000.0
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DIST = Path(__file__).resolve().parents[1] / "byzer_engine" / "console" / "dist" / "assets"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(root: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [sys.executable, "-m", "byzer_engine", "serve", "--port", str(port), "--token", TOKEN]
    command += ["--data-root", str(root / "data"), "--log-level", "warning"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=root)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{url}/health/readiness", timeout=2).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    process.kill()
    raise SystemExit("byzer serve did not become ready")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        process, url = start_server(Path(tmp))
        try:
            loads, logins, weights = [], [], []
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
                for run in range(options.runs):
                    context = browser.new_context()
                    page = context.new_page()
                    fetched: list[int] = []

                    def count(response: Response, into: list[int] = fetched) -> None:
                        if response.url.startswith(url) and "/console/api" not in response.url:
                            into.append(len(response.body()))

                    page.on("response", count)
                    started = time.perf_counter()
                    page.goto(url + "/")
                    page.wait_for_selector("#login-submit")
                    loads.append((time.perf_counter() - started) * 1000)
                    page.fill("#login-token", TOKEN)
                    page.fill("#login-owner", f"bench{run}")
                    started = time.perf_counter()
                    page.click("#login-submit")
                    page.wait_for_selector("#create-notebook")
                    logins.append((time.perf_counter() - started) * 1000)
                    weights.append(sum(fetched))
                    context.close()
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=60)
    chart = sum(p.stat().st_size for p in DIST.glob("embed-*.js"))
    first_load = statistics.median(loads)
    print(f"page weight, first load: {weights[0] / 1024:.0f} KiB (uncompressed; page, script, styles)")
    print(f"chart library, loaded with the first chart: {chart / 1024:.0f} KiB")
    print(f"first load to a usable login form: median {first_load:.0f} ms over {options.runs} cold loads")
    print(f"log in to the notebook list: median {statistics.median(logins):.0f} ms")
    print(f"target: first load under {TARGET_MS:.0f} ms")
    print(f"ratio: {first_load / TARGET_MS:.2f}")


if __name__ == "__main__":
    main()
