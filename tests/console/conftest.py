"""Console fixtures: one headless Chromium (Debian's ``chromium``, driven by Playwright) for all console
tests, against the run's one ``byzer serve`` (``server`` in tests/server_fixtures.py).

Screenshots go to ``BYZER_SCREENSHOTS`` when set (``scripts/console-screenshots.sh`` sets it to
docs/console), else to a temporary folder.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from server_fixtures import ServerProcess

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Generous: a cold Spark on a busy 2-core machine, a model answering on CPU.
TIMEOUT_MS = 300_000
DIST = Path(__file__).resolve().parents[2] / "byzer_engine" / "console" / "dist" / "index.html"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    assert DIST.is_file(), "the console is not built: run `make install` (npm ci && npm run build)"
    assert Path(CHROMIUM).is_file(), "install Debian's chromium: apt-get install -y chromium chromium-driver"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("BYZER_SCREENSHOTS") or tmp_path_factory.mktemp("console-shots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


LoginAs = Callable[[str], Page]


@pytest.fixture(scope="module")
def login_as(browser: Browser, server: ServerProcess) -> Iterator[LoginAs]:
    """Opens the console in a fresh browser context and logs in as ``owner`` with the server's token."""
    contexts = []

    def login(owner: str) -> Page:
        context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.goto(server.url + "/")
        page.fill("#login-token", server.token)
        page.fill("#login-owner", owner)
        page.click("#login-submit")
        page.wait_for_selector("#create-notebook")
        return page

    yield login
    for context in contexts:
        context.close()


def type_cell(page: Page, index: int, text: str) -> None:
    """Replace the text of cell ``index`` (0-based) as a user would: focus, select all, type."""
    editor = page.locator(".cell .cm-content").nth(index)
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    # insert_text: no auto-closing brackets or completion popups in the way.
    page.keyboard.insert_text(text)


def run_cell(page: Page, index: int) -> None:
    cell = page.locator(".cell").nth(index)
    cell.locator(".run-cell").click()
    page.wait_for_function(
        "i => { const c = document.querySelectorAll('.cell')[i];"
        " return c && !c.classList.contains('busy') && c.querySelector('.tab-body .result, .tab-body .error'); }",
        arg=index,
    )
