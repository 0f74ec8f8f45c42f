"""The excel source: workbooks written by openpyxl are loaded, and saved tables open in openpyxl."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime import Engine

OWNER = "excel_source"


def _workbook(path: Path) -> None:
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    first.title = "Q1"
    first.append(["city", "sales"])
    first.append(["hangzhou", 10])
    first.append(["beijing", 32])
    second = book.create_sheet("Q2")
    second.append(["city", "sales"])
    second.append(["shanghai", 7])
    book.save(path)


def test_load_a_sheet_with_header_and_types(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    _workbook(path)
    rows = engine.run_script(
        f'load excel.`{path}` where header="true" and inferSchema="true" as q1;\n'
        "select city, sales * 2 as doubled from q1 order by city as out;",
        owner=OWNER,
    ).rows
    assert rows == [{"city": "beijing", "doubled": 64}, {"city": "hangzhou", "doubled": 20}]
    q2 = engine.run_script(
        f'load excel.`{path}` where sheetName="Q2" as q2;\nselect * from q2 as out;', owner=OWNER
    ).rows
    assert q2 == [{"city": "shanghai", "sales": "7"}]  # inferSchema off: strings


def test_save_writes_a_workbook_openpyxl_reads(engine: Engine, tmp_path: Path) -> None:
    target = tmp_path / "out" / "saved.xlsx"
    engine.run_script(
        "select id, concat('row-', id) as name from range(0, 3) as t;\n"
        f'save overwrite t as excel.`{target}` where sheetName="data";',
        owner=OWNER,
    )
    sheet = openpyxl.load_workbook(target)["data"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values == [["id", "name"], [0, "row-0"], [1, "row-1"], [2, "row-2"]]
    with pytest.raises(ByzerError, match="append"):
        engine.run_script(
            f"select 1 as id as t;\nsave append t as excel.`{target}`;",
            owner=OWNER,
        )
