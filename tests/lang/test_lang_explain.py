"""``explain STATEMENT;`` and ``!explain``: parsed into an ``Explain`` around the statement."""

from __future__ import annotations

import pytest

from byzer_engine import lang
from byzer_engine.errors import ByzerSyntaxError
from byzer_engine.lang.statements import Explain, Save, Select


def test_explain_wraps_any_statement_and_takes_sparks_modes() -> None:
    (plain,) = lang.parse_script("explain select a from t as t2;")
    assert isinstance(plain, Explain) and isinstance(plain.target, Select)
    assert (plain.target.table, plain.target.reads, plain.mode) == ("t2", ("t",), "")
    (formatted,) = lang.parse_script("explain formatted select a from t;")
    assert isinstance(formatted.target, Select) and formatted.target.table == ""  # no "as NAME" needed
    assert formatted.mode == "formatted" and formatted.target.span.column == 19
    (save,) = lang.parse_script("explain save overwrite t as parquet.`/x`;")
    assert isinstance(save, Explain) and isinstance(save.target, Save)
    assert save.to_dict()["target"]["kind"] == "save"


def test_a_bad_explained_statement_is_reported_where_it_is() -> None:
    with pytest.raises(ByzerSyntaxError) as info:
        lang.parse_script("explain load csv.`x` t;", file="e.byzer")
    assert "e.byzer:1:" in info.value.render()
    with pytest.raises(ByzerSyntaxError, match="cannot explain an explain"):
        lang.parse_script("explain explain select 1 as a as t;")


def test_the_explain_macro_forms() -> None:
    (rest,) = lang.prepare_statement(lang.parse_script("!explain;")[0], {})
    assert isinstance(rest, Explain) and rest.target is None
    (table,) = lang.prepare_statement(lang.parse_script("!explain answers;")[0], {})
    assert isinstance(table, Explain) and isinstance(table.target, Select)
    assert table.target.sql == "select * from `answers`"
    several = lang.prepare_statement(
        lang.parse_script("!explain '''select 1 as a as t; save overwrite t as json.`o`;''';")[0], {}
    )
    assert [type(s.target).__name__ for s in several if isinstance(s, Explain)] == ["Select", "Save"]
