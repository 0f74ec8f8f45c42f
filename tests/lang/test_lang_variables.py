"""``VariableTable``: Byzer's ``set`` semantics (re-rendering order, defaultParam, compile mode, literals)."""

from __future__ import annotations

from byzer_engine.lang import VariableTable, builtin_variables, render


def test_values_are_rendered_again_after_each_set() -> None:
    table = VariableTable()
    table.set_template("b", "${a}/b")
    assert table["b"] == "${a}/b"
    table.set_template("a", "x")
    assert table.resolved()["b"] == "x/b"


def test_a_resolved_value_keeps_its_result() -> None:
    table = VariableTable()
    table.set_template("a", "x")
    table.set_template("b", "${a}/b")
    table.set_template("a", "y")
    assert table["b"] == "x/b"


def test_chains_resolve() -> None:
    table = VariableTable()
    table.set_template("c", "${b}/c")
    table.set_template("b", "${a}/b")
    table.set_template("a", "root")
    assert table["c"] == "root/b/c"


def test_self_reference_uses_the_previous_value() -> None:
    table = VariableTable({"p": "/data"})
    table.set_template("p", "${p}/sub")
    assert table["p"] == "/data/sub"
    table.set_template("q", "${q}/x")  # no previous value: stays as written, and does not grow
    table.set_template("z", "1")
    assert table["q"] == "${q}/x"


def test_default_param_only_when_absent() -> None:
    table = VariableTable({"from_caller": "caller"})
    table.set_default("from_caller", "script")
    table.set_default("fresh", "script")
    table.set_default("fresh", "again")
    assert table["from_caller"] == "caller"
    assert table["fresh"] == "script"


def test_compile_mode_is_never_overwritten() -> None:
    table = VariableTable()
    table.set_template("v", "compiled", mode="compile")
    table.set_template("v", "runtime")
    table.set_literal("v", "literal")
    assert table["v"] == "compiled"
    assert table.is_compiled("v")


def test_literal_values_are_not_rendered() -> None:
    table = VariableTable()
    table.set_literal("sql_result", "cost is ${price}")
    table.set_template("price", "10")
    assert table["sql_result"] == "cost is ${price}"
    table.set_template("msg", "got ${sql_result}")
    assert table["msg"].startswith("got cost is")
    assert table["sql_result"] == "cost is ${price}"


def test_builtins_and_table_as_render_mapping() -> None:
    table = VariableTable(builtin_variables("alice", "/home/alice"))
    table.set_template("out", "${HOME}/out/${OWNER}")
    assert table["out"] == "/home/alice/out/alice"
    assert render("save to $out", table) == "save to /home/alice/out/alice"
    assert "out" in table and len(table) == len(table.resolved())
    copy = table.copy()
    copy.set_template("out", "elsewhere")
    assert table["out"] == "/home/alice/out/alice"
