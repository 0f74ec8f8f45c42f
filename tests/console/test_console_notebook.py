"""The console end to end in a real headless Chromium against the real server: notebooks, cells,
the grid, charts, errors, cancel, export and import, and owners kept apart."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import LoginAs, run_cell, type_cell
from playwright.sync_api import Page

LOAD_AND_SELECT = (
    "set raw='''\na,b\n1,x\n2,y\n3,x\n''';\n"
    'load csvStr.`raw` where header="true" and inferSchema="true" as raw_rows;\n'
    "select id, id % 3 as bucket, concat('row', id) as label from range(25) as numbers;"
)


@pytest.fixture(scope="module")
def alice(login_as: LoginAs) -> Page:
    page = login_as("console_alice")
    page.fill("#new-notebook-name", "first notebook")
    page.click("#create-notebook")
    page.wait_for_selector(".cell .cm-content")
    return page


def test_a_load_and_select_cell_shows_the_grid_sorted_and_paged(alice: Page, screenshots: Path) -> None:
    type_cell(alice, 0, LOAD_AND_SELECT)
    run_cell(alice, 0)
    cell = alice.locator(".cell").nth(0)
    assert cell.locator(".row-count").inner_text() == "25 rows"
    assert "ms" in cell.locator(".elapsed").inner_text()
    assert cell.locator(".page-info").inner_text() == "Page 1 of 3"
    assert cell.locator(".grid tbody tr").count() == 10
    header = cell.locator("th[data-column=id]")
    header.click()
    header.click()  # descending
    assert cell.locator(".grid tbody tr").first.locator("td").first.inner_text() == "24"
    cell.locator(".next-page").click()
    assert cell.locator(".page-info").inner_text() == "Page 2 of 3"
    assert cell.locator(".grid tbody tr").first.locator("td").first.inner_text() == "14"
    alice.screenshot(path=str(screenshots / "grid.png"), full_page=True)


def test_the_next_cell_sees_the_table_of_the_previous_one(alice: Page) -> None:
    alice.locator(".cell").nth(0).locator(".add-below").click()
    type_cell(
        alice, 1, "select bucket, count(*) as n from numbers group by bucket order by bucket as per_bucket;"
    )
    run_cell(alice, 1)
    rows = alice.locator(".cell").nth(1).locator(".grid tbody tr")
    assert rows.count() == 3
    assert rows.nth(0).locator("td").nth(1).inner_text() == "9"


def test_one_click_makes_a_bar_chart_saved_with_the_cell(alice: Page, screenshots: Path) -> None:
    cell = alice.locator(".cell").nth(1)
    cell.locator(".make-chart").click()
    cell.locator(".chart svg .mark-rect path, .chart svg .mark-rect").first.wait_for()
    assert cell.locator(".chart-type").input_value() == "bar"
    cell.locator(".chart-type").select_option("line")
    cell.locator(".chart svg .mark-line").first.wait_for()
    cell.locator(".chart-type").select_option("bar")
    cell.locator(".chart svg .mark-rect").first.wait_for()
    alice.screenshot(path=str(screenshots / "chart.png"), full_page=True)
    alice.wait_for_function(
        """async () => {
          const r = await fetch('/console/api/notebooks/first%20notebook?owner=console_alice',
            {headers: {Authorization: 'Bearer ' + sessionStorage.getItem('byzer.token')}});
          const nb = await r.json();
          return nb.cells[1] && nb.cells[1].chart && nb.cells[1].chart.type === 'bar';
        }"""
    )


def test_a_broken_cell_shows_the_error_at_its_line(alice: Page, screenshots: Path) -> None:
    alice.locator(".cell").nth(1).locator(".add-below").click()
    type_cell(alice, 2, "select 1 as a as one;\nload csv.`x.csv` t;")
    run_cell(alice, 2)
    cell = alice.locator(".cell").nth(2)
    error = cell.locator(".error")
    assert error.get_attribute("data-line") == "2"
    assert "syntax error at line 2" in error.inner_text()
    cell.locator(".cm-lintRange-error").first.wait_for()
    marked_line = cell.locator(".cm-line").nth(1).inner_text()
    assert cell.locator(".cm-lintRange-error").first.inner_text() in marked_line
    alice.screenshot(path=str(screenshots / "error.png"), full_page=True)


def test_cancel_kills_a_long_cell(alice: Page) -> None:
    alice.locator(".cell").nth(2).locator(".add-below").click()
    type_cell(alice, 3, "select count(*) as n from range(0, 100000000000, 1, 2) as huge;")
    cell = alice.locator(".cell").nth(3)
    cell.locator(".run-cell").click()
    cell.locator(".job-progress", has_text="progress").wait_for()  # /runningjobs lists it
    cell.locator(".cancel-cell").click()
    cell.locator(".error", has_text="killed").wait_for()
    assert cell.locator(".cancel-cell").is_disabled()


def test_export_and_reimport_a_notebook(alice: Page, tmp_path: Path) -> None:
    with alice.expect_download() as exported:
        alice.click("#export-byzer")
    script = tmp_path / "reimported.byzer"
    exported.value.save_as(script)
    text = script.read_text()
    assert "-- %% byzer" in text and "group by bucket" in text
    alice.set_input_files("#import-file", str(script))
    alice.wait_for_function("() => document.querySelector('#notebook-name')?.value === 'reimported'")
    assert alice.locator(".cell").count() == 4
    assert "group by bucket" in alice.locator(".cell").nth(1).locator(".cm-content").inner_text()

    with alice.expect_download() as exported_json:
        alice.click("#export-json")
    notebook = tmp_path / "as json.json"
    exported_json.value.save_as(notebook)
    alice.set_input_files("#import-file", str(notebook))
    alice.wait_for_function("() => document.querySelector('#notebook-name')?.value === 'as json'")
    assert alice.locator(".cell").count() == 4
    names = alice.locator(".notebook-link").all_inner_texts()
    assert {"first notebook", "reimported", "as json"} <= set(names)


def test_rename_duplicate_and_delete(alice: Page) -> None:
    alice.fill("#notebook-name", "renamed")
    alice.click("#rename-notebook")
    alice.locator(".notebook-link[data-name='renamed']").wait_for()
    alice.click("#duplicate-notebook")
    alice.locator(".notebook-link[data-name='renamed copy']").wait_for()
    alice.click("#delete-notebook")
    alice.locator(".notebook-link[data-name='renamed']").wait_for(state="detached")
    assert "as json" not in alice.locator(".notebook-link").all_inner_texts()


def test_the_schema_browser_lists_the_session_tables(alice: Page, screenshots: Path) -> None:
    alice.locator(".notebook-link[data-name='first notebook']").click()
    alice.click("#refresh-schema")
    table = alice.locator(".schema-table[data-table='numbers']")
    table.wait_for()
    table.locator("summary").click()
    assert "bucket: bigint" in table.inner_text()
    alice.screenshot(path=str(screenshots / "schema.png"), full_page=True)


def test_a_second_owner_does_not_see_the_first_owners_notebooks(login_as: LoginAs, alice: Page) -> None:
    bob = login_as("console_bob")
    assert bob.locator(".notebook-link").count() == 0
    bob.fill("#new-notebook-name", "bobs")
    bob.click("#create-notebook")
    bob.locator(".notebook-link[data-name='bobs']").wait_for()
    alice.reload()
    alice.wait_for_selector("#create-notebook")
    assert "bobs" not in alice.locator(".notebook-link").all_inner_texts()


def test_the_log_tab_shows_the_messages_the_script_emitted(alice: Page) -> None:
    alice.locator(".notebook-link[data-name='first notebook']").click()
    alice.locator(".cell").first.wait_for()
    last = alice.locator(".cell").count() - 1
    alice.locator(".cell").nth(last).locator(".add-below").click()
    type_cell(alice, last + 1, "!println 'hello from the script';\nselect 1 as a as printed;")
    run_cell(alice, last + 1)
    cell = alice.locator(".cell").nth(last + 1)
    cell.locator(".tab-log").click()
    assert "hello from the script" in cell.locator(".log").inner_text()
    cell.locator(".tab-job").click()
    assert "status: succeeded" in cell.locator(".job-details").inner_text()


def test_completion_offers_keywords_and_session_tables_and_ctrl_enter_runs(alice: Page) -> None:
    alice.locator(".notebook-link[data-name='first notebook']").click()
    alice.locator(".cell").first.wait_for()
    alice.click("#refresh-schema")
    alice.locator(".schema-table[data-table='numbers']").wait_for()
    last = alice.locator(".cell").count() - 1
    alice.locator(".cell").nth(last).locator(".add-below").click()
    type_cell(alice, last + 1, "select * from numb")
    alice.keyboard.press("Control+Space")
    popup = alice.locator(".cm-tooltip-autocomplete")
    popup.wait_for()
    assert "numbers" in popup.inner_text()
    # CodeMirror ignores Enter for the first 75 ms of a completion list (interactionDelay), so that a
    # list that opens while the user is pressing Enter does not swallow it; wait well past that.
    alice.wait_for_timeout(500)
    alice.keyboard.press("Enter")
    alice.keyboard.insert_text(" as completed;")
    assert alice.locator(".cell").nth(last + 1).locator(".cm-content").inner_text() == (
        "select * from numbers as completed;"
    )
    alice.keyboard.press("Control+Enter")
    alice.locator(".cell").nth(last + 1).locator(".row-count", has_text="25 rows").wait_for()
