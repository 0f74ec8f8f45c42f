"""The data ETs' macros: ``!tableRepartition``, ``!split`` and ``!emptyTable``."""

from __future__ import annotations

import pytest

from byzer_engine.lang import expand_macro, parse_statement
from byzer_engine.lang.errors import ByzerSyntaxError
from byzer_engine.lang.statements import Macro, RunET


def _expand(text: str) -> RunET:
    statement = parse_statement(text, file="m.byzer", line=2, column=1)
    assert isinstance(statement, Macro)
    [expanded] = expand_macro(statement, {})
    assert isinstance(expanded, RunET)
    return expanded


@pytest.mark.parametrize(
    ("text", "table", "et", "options", "output"),
    [
        ("!tableRepartition _ -i t -num 3 -o t2", "t", "TableRepartition", {"partitionNum": "3"}, "t2"),
        (
            "!tableRepartition _ -i t -num 3 -t range -c a,b -o t2",
            "t",
            "TableRepartition",
            {"partitionNum": "3", "partitionType": "range", "partitionCols": "a,b"},
            "t2",
        ),
        (
            '!split t by label with "0.7,0.3" named out',
            "t",
            "RateSampler",
            {"labelCol": "label", "sampleRate": "0.7,0.3"},
            "out",
        ),
        ("!emptyTable", "command", "EmptyTable", {}, None),
        ("!emptyTable named e", "command", "EmptyTable", {}, "e"),
    ],
)
def test_expansions(text: str, table: str, et: str, options: dict[str, str], output: str | None) -> None:
    run = _expand(text)
    assert (run.table, run.et, dict(run.options), run.output) == (table, et, options, output)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("!tableRepartition t 3 t2", "'!tableRepartition' is written"),
        ("!tableRepartition _ -i t -o t2", "'!tableRepartition' is written"),
        ("!tableRepartition _ -i t -num 3 -x 1 -o t2", "'!tableRepartition' is written"),
        ('!split t label "0.7,0.3" out', "'!split' is written"),
        ("!emptyTable e", "'!emptyTable' is written"),
    ],
)
def test_bad_arguments_point_at_the_macro(text: str, message: str) -> None:
    with pytest.raises(ByzerSyntaxError, match=message) as caught:
        _expand(text)
    assert caught.value.line == 2
