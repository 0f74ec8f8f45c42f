"""Where a code block sits in its statement, its syntax check and its user-only tracebacks."""

from __future__ import annotations

import pytest

from byzer_engine.lang.errors import ByzerSyntaxError
from byzer_engine.python.usercode import as_user_error, compile_code, locate

RAW = "run command as Ray.`` where inputTable=\"t\" and code='''\nx = 1\ny = x +\n'''"


def test_locate_maps_code_lines_to_script_lines() -> None:
    code = "\nx = 1\ny = x +\n"
    place = locate(code, RAW, "s.byzer", 10, 1)
    # Code line 1 is the rest of the ''' line; code line 2 is the next script line.
    assert place.line == 10
    assert place.script_line(2) == 11
    assert place.script_line(3) == 12


def test_syntax_error_at_script_line_and_column() -> None:
    code = "\nx = 1\ny = x +\n"
    place = locate(code, RAW, "s.byzer", 10, 1)
    with pytest.raises(ByzerSyntaxError) as caught:
        compile_code(place)
    error = caught.value
    assert error.line == 12
    assert error.position is not None and error.position.line_text == "y = x +"
    assert "s.byzer:12:" in error.render()


def test_traceback_keeps_user_frames_only() -> None:
    code = "\nimport json\ndef f(v):\n    return json.loads(v)\nf('{bad')\n"
    place = locate(code, "x code='''" + code + "'''", "s.byzer", 3, 1)
    compiled = compile_code(place)
    try:
        exec(compiled, {})
    except Exception as exc:
        text = as_user_error(place, exc).text()
    lines = text.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert '  File "s.byzer", line 7, in <module>' in lines
    assert '  File "s.byzer", line 6, in f' in lines
    assert "json/decoder.py" not in text and "json/__init__.py" not in text
    assert lines[-1].startswith("json.decoder.JSONDecodeError:")
