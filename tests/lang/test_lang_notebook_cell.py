"""The notebook's ``#%python`` cell is read as ``!python`` settings plus one ``run command as Ray``."""

from __future__ import annotations

import pytest

from byzer_engine.lang import parse_script
from byzer_engine.lang.errors import ByzerSyntaxError
from byzer_engine.lang.notebook_cell import is_cell, rewrite
from byzer_engine.lang.statements import Macro, RunET

CELL = """#%python
#%input=t
#%output=o
#%schema=st(field(a,long))
#%env=source activate dev
#%dataMode=data
rows = 1
context.build_result([{"a": rows}])
"""


def test_cell_is_settings_plus_one_ray_statement() -> None:
    statements = parse_script(CELL, file="cell.py")
    macros = [s for s in statements if isinstance(s, Macro)]
    assert [(m.name, [a.value for a in m.args]) for m in macros] == [
        ("python", ["conf", "schema=st(field(a,long))"]),
        ("python", ["env", "PYTHON_ENV=source activate dev"]),
        ("python", ["conf", "dataMode=data"]),
    ]
    run = statements[-1]
    assert isinstance(run, RunET) and run.et == "Ray" and run.output == "o"
    assert run.options["inputTable"] == "t" and run.options["outputTable"] == "o"
    assert run.options["code"].strip().splitlines() == ["rows = 1", 'context.build_result([{"a": rows}])']


def test_code_keeps_its_line_numbers() -> None:
    lines = rewrite(CELL).splitlines()
    assert lines[6] == "rows = 1"  # line 7 of the cell is line 7 of the script
    assert lines[3].startswith("!python conf")


def test_defaults_and_detection() -> None:
    assert is_cell("\n#%python\nx = 1\n") and not is_cell("select 1 as a as t;")
    run = parse_script("#%python\n#%schema=st(field(a,long))\ncontext.build_result([])\n")[-1]
    assert isinstance(run, RunET) and run.options["inputTable"] == "command" and run.output is None


def test_block_quotes_in_cell_code_are_an_error_at_their_line() -> None:
    with pytest.raises(ByzerSyntaxError) as caught:
        parse_script("#%python\nx = '''a'''\n", file="cell.py")
    assert caught.value.line == 2 and caught.value.column == 5
