"""The console's LLM parts end to end with the packaged model (SmolLM2 on CPU): the example LLM
notebooks as they ship, a chat cell that keeps its conversation as a table, and the copilot.
Answers depend on the model; the tests check that a real answer arrives where it should."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import LoginAs, run_cell, type_cell
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def carol(login_as: LoginAs) -> Page:
    return login_as("console_carol")


def run_example(page: Page, name: str) -> None:
    page.locator(f".example-link[data-name='{name}']").click()
    page.wait_for_function(f"() => document.querySelector('#notebook-name')?.value === {name!r}")
    page.click("#run-all")
    try:
        page.wait_for_function(
            "() => { const cells = [...document.querySelectorAll('.cell')];"
            " if (cells.some(c => c.classList.contains('busy'))) return false;"
            " return cells.some(c => c.querySelector('.tab-body .error'))"
            "   || cells[cells.length - 1].querySelector('.tab-body .result'); }"
        )
    except PlaywrightTimeout:
        raise AssertionError(
            f"{name} did not finish: {page.locator('.cell .output').all_inner_texts()}"
        ) from None
    errors = page.locator(".cell .tab-body .error").all_inner_texts()
    assert errors == [], errors


def cell_rows(page: Page, index: int) -> list[list[str]]:
    rows = page.locator(".cell").nth(index).locator(".grid tbody tr")
    return [rows.nth(i).locator("td").all_inner_texts() for i in range(rows.count())]


def test_the_openai_example_runs_as_is_and_shows_the_answer(carol: Page, screenshots: Path) -> None:
    run_example(carol, "LLM 4 - OpenAI API")
    deployed = cell_rows(carol, 1)
    assert deployed[0][0] == "chat" and deployed[0][1] in ("deployed", "reused")
    turns = cell_rows(carol, 2)
    assert [row[1] for row in turns] == ["user", "assistant"]
    assert turns[0][2] == "Say hello in French."
    assert turns[1][2].strip() and turns[1][2] != "null"
    carol.screenshot(path=str(screenshots / "chat.png"), full_page=True)


def test_a_chat_cell_carries_the_conversation_into_the_next_turn(carol: Page) -> None:
    carol.fill("#new-notebook-name", "chatting")
    carol.click("#create-notebook")
    carol.wait_for_function("() => document.querySelector('#notebook-name')?.value === 'chatting'")
    carol.locator(".cell .cell-kind").first.select_option("chat")
    directives = "--%chat\n--%model=chat\n--%via=openai\n--%output=talk\n--%max_length=12\n"
    type_cell(carol, 0, directives + "Name a colour.")
    run_cell(carol, 0)
    assert [row[1] for row in cell_rows(carol, 0)] == ["user", "assistant"]
    type_cell(carol, 0, directives + "Name another one.")
    run_cell(carol, 0)
    turns = cell_rows(carol, 0)
    assert [row[1] for row in turns] == ["user", "assistant", "user", "assistant"]
    assert [row[2] for row in turns][::2] == ["Name a colour.", "Name another one."]
    carol.locator(".cell").nth(0).locator(".add-below").click()
    type_cell(carol, 1, "select count(*) as turns from talk as counted;")
    run_cell(carol, 1)
    assert cell_rows(carol, 1) == [["4"]]  # the conversation is a table of the owner's session


def test_the_copilot_proposes_a_select_as_a_new_cell_not_run(carol: Page, screenshots: Path) -> None:
    carol.fill("#new-notebook-name", "copilot")
    carol.click("#create-notebook")
    carol.wait_for_function("() => document.querySelector('#notebook-name')?.value === 'copilot'")
    type_cell(carol, 0, "select 'Paris' as city, 120 as sales union all select 'Rome', 80 as city_sales;")
    run_cell(carol, 0)
    carol.click("#refresh-schema")
    carol.locator(".copilot-table", has_text="city_sales").locator("input").check()
    carol.fill("#copilot-question", "Which city has the most sales?")
    carol.check("#copilot-samples")
    carol.click("#copilot-ask")
    carol.locator(".copilot-status", has_text="a new cell was added").wait_for()
    assert carol.locator(".cell").count() == 2
    proposed = carol.locator(".cell").nth(1)
    source = proposed.locator(".cm-content").inner_text().lower()
    assert "select" in source and "-- copilot" in source
    assert proposed.locator(".tab-body").count() == 0  # inserted, not run
    carol.screenshot(path=str(screenshots / "copilot.png"), full_page=True)
