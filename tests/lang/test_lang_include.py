"""``include local.`...`;`` / ``include project.`...`;``: resolved before parsing, nested, cycles refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from byzer_engine.lang import parse_script
from byzer_engine.lang.errors import ByzerIncludeError, ByzerSyntaxError
from byzer_engine.lang.statements import Include, Load, Select


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_local_include_is_relative_to_the_including_file(tmp_path: Path) -> None:
    _write(
        tmp_path / "lib" / "common.byzer",
        "load csv.`/a` as a;\n/* a comment; with ; inside */\nselect * from a as b;\n",
    )
    main = _write(tmp_path / "main.byzer", "include local.`lib/common`;\nselect * from b as c;\n")
    statements = parse_script(main.read_text(), file=str(main))
    assert [s.kind for s in statements] == ["load", "select", "select"]
    assert statements[0].span.file == str(tmp_path / "lib" / "common.byzer")
    assert statements[1].span.line == 3
    assert statements[2].span.file == str(main)


def test_nested_includes_and_extensions(tmp_path: Path) -> None:
    _write(tmp_path / "a.byzer", "include local.`sub/b.mlsql`;\nselect 1 as a as from_a;")
    _write(tmp_path / "sub" / "b.mlsql", "include local.`c`;\nselect 1 as a as from_b;")
    _write(tmp_path / "sub" / "c.byzer", "select 1 as a as from_c;")
    main = _write(tmp_path / "main.byzer", "include local.`a.byzer`;")
    tables = [s.output_table for s in parse_script(main.read_text(), file=str(main))]
    assert tables == ["from_c", "from_b", "from_a"]


def test_project_include_is_relative_to_the_project_root(tmp_path: Path) -> None:
    _write(tmp_path / "etl" / "load.byzer", "load json.`/x` as x;")
    main = _write(tmp_path / "jobs" / "daily.byzer", "include project.`etl/load`;")
    [statement] = parse_script(main.read_text(), file=str(main), project_root=str(tmp_path))
    assert isinstance(statement, Load) and statement.table == "x"


def test_include_path_may_use_variables_set_above(tmp_path: Path) -> None:
    _write(tmp_path / "lib" / "v2" / "x.byzer", "select 1 as a as x;")
    main = _write(tmp_path / "main.byzer", 'set version = "v2";\ninclude local.`lib/${version}/x`;')
    statements = parse_script(main.read_text(), file=str(main))
    assert isinstance(statements[1], Select) and statements[1].table == "x"


def test_include_cycle_is_reported(tmp_path: Path) -> None:
    _write(tmp_path / "a.byzer", "select 1 as a as t;\ninclude local.`b`;")
    _write(tmp_path / "b.byzer", "include local.`a`;")
    main = _write(tmp_path / "main.byzer", "include local.`a`;")
    with pytest.raises(ByzerIncludeError, match=r"include cycle: .*a.byzer -> b.byzer -> a.byzer") as caught:
        parse_script(main.read_text(), file=str(main))
    assert caught.value.position is not None
    assert caught.value.position.file == str(tmp_path / "b.byzer")


def test_script_including_itself(tmp_path: Path) -> None:
    main = _write(tmp_path / "main.byzer", "include local.`main`;")
    with pytest.raises(ByzerIncludeError, match="include cycle"):
        parse_script(main.read_text(), file=str(main))


def test_missing_file_and_unknown_type(tmp_path: Path) -> None:
    main = _write(tmp_path / "main.byzer", "select 1 as a as t;\ninclude local.`nope`;")
    with pytest.raises(ByzerIncludeError, match="no file") as caught:
        parse_script(main.read_text(), file=str(main))
    assert (caught.value.line, caught.value.column) == (2, 1)
    with pytest.raises(ByzerIncludeError, match="unknown include type 'http'"):
        parse_script("include http.`x`;", file=str(main))


def test_include_error_shows_the_whole_line_of_the_include(tmp_path: Path) -> None:
    main = _write(tmp_path / "main.byzer", "select 1 as a as t;  include local.`nope`; -- missing\n")
    with pytest.raises(ByzerIncludeError) as caught:
        parse_script(main.read_text(), file=str(main))
    assert (caught.value.line, caught.value.column) == (1, 22)
    assert caught.value.render().splitlines()[1:] == [
        "    select 1 as a as t;  include local.`nope`; -- missing",
        "    " + " " * 21 + "^",
    ]


def test_project_include_of_a_relatively_named_script_keeps_relative_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path / "etl" / "load.byzer", "load json.`/x` as x;")
    _write(tmp_path / "main.byzer", "include project.`etl/load`;\ninclude local.`etl/load`;")
    monkeypatch.chdir(tmp_path)
    statements = parse_script((tmp_path / "main.byzer").read_text(), file="main.byzer")
    assert [s.span.file for s in statements] == [os.path.join("etl", "load.byzer")] * 2


def test_error_inside_an_included_file_names_that_file(tmp_path: Path) -> None:
    _write(tmp_path / "lib.byzer", '-- ok; fine\n/* ; */\nload csv.`/a`\n  where x="1" zz t;')
    main = _write(tmp_path / "main.byzer", "include local.`lib`;")
    with pytest.raises(ByzerSyntaxError) as caught:
        parse_script(main.read_text(), file=str(main))
    error = caught.value
    assert error.position is not None and error.position.file == str(tmp_path / "lib.byzer")
    assert (error.line, error.column) == (4, 15)
    assert error.render().startswith(f"{tmp_path / 'lib.byzer'}:4:15: error:")


def test_skip_include_keeps_include_statements() -> None:
    [statement] = parse_script("include local.`anything`;", skip_include=True)
    assert isinstance(statement, Include)
    assert (statement.type, statement.path) == ("local", "anything")
