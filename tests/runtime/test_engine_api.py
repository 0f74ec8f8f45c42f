"""The Engine API under the CLI and the server: results, owners, sessions, limits."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from byzer_engine.lang.errors import ByzerAuthError, ByzerError, ByzerSyntaxError
from byzer_engine.runtime import Engine


def test_result_shape(engine: Engine) -> None:
    result = engine.run_script("select 1 as a, 'x' as b as t;", owner="api_shape", job_name="shape-job")
    assert result.rows == [{"a": 1, "b": "x"}]
    assert result.table_name == "t"
    assert [f["name"] for f in result.schema["fields"]] == ["a", "b"]
    assert result.schema["type"] == "struct"
    assert result.job.job_name == "shape-job" and result.job.status == "succeeded"
    assert result.job.owner == "api_shape" and result.job.start_time > 0
    assert result.job.to_dict()["jobName"] == "shape-job"


def test_no_table_result(engine: Engine) -> None:
    result = engine.run_script('set a = "1";', owner="api_shape")
    assert result.rows == [] and result.table_name is None
    assert result.schema == {"type": "struct", "fields": []}


@pytest.mark.parametrize("fetch_type", ["collect", "take"])
def test_output_size(engine: Engine, fetch_type: str) -> None:
    result = engine.run_script("select id from range(100) as t;", output_size=7, fetch_type=fetch_type)
    assert [row["id"] for row in result.rows] == list(range(7))


def test_bad_fetch_type(engine: Engine) -> None:
    with pytest.raises(ByzerError, match="fetchType"):
        engine.run_script("select 1 as a as t;", fetch_type="stream")


def test_owners_have_their_own_views_and_homes(engine: Engine, engine_data_root: Path) -> None:
    engine.run_script("select 'a' as who as mine;", owner="owner_a")
    engine.run_script("select 'b' as who as mine;", owner="owner_b")
    assert engine.run_script("select who from mine as t;", owner="owner_a").rows == [{"who": "a"}]
    assert engine.run_script("select who from mine as t;", owner="owner_b").rows == [{"who": "b"}]
    home = engine.run_script('select "${HOME}" as home as t;', owner="owner_a").rows[0]["home"]
    assert home == str((engine_data_root / "owner_a").resolve())
    assert engine.session_for("owner_a") is not engine.session_for("owner_b")


def test_session_per_request_sees_no_views(engine: Engine) -> None:
    engine.run_script("select 1 as a as kept_view;", owner="per_request")
    with pytest.raises(ByzerError, match="TABLE_OR_VIEW_NOT_FOUND"):
        engine.run_script("select * from kept_view as t;", owner="per_request", session_per_request=True)


def test_logout_drops_the_session(engine: Engine) -> None:
    engine.run_script('select 1 as a as v; set s = "1" where scope="session";', owner="leaver")
    assert engine.logout("leaver") is True
    assert engine.logout("leaver") is False
    with pytest.raises(ByzerError, match="TABLE_OR_VIEW_NOT_FOUND"):
        engine.run_script("select * from v as t;", owner="leaver")
    assert engine.run_script('select "${s}" as s as t;', owner="leaver").rows == [{"s": "${s}"}]


def test_variables_and_messages(engine: Engine) -> None:
    seen: list[str] = []
    result = engine.run_script(
        '!println "n is ${n}"; select ${n} + 1 as m as t;', variables={"n": "41"}, on_message=seen.append
    )
    assert result.rows == [{"m": 42}]
    assert seen == ["n is 41"] == result.messages


def test_default_path_prefix(engine: Engine, engine_data_root: Path) -> None:
    engine.run_script(
        "select 3 as x as t; save overwrite t as parquet.`p`;", owner="prefixed", default_path_prefix="proj"
    )
    assert (engine_data_root / "prefixed" / "proj" / "p").is_dir()


def test_invalid_owner_names(engine: Engine) -> None:
    for owner in ("../x", "a/b", ""):
        with pytest.raises(ByzerAuthError):
            engine.run_script("select 1 as a as t;", owner=owner)


def test_syntax_error_has_a_position(engine: Engine) -> None:
    with pytest.raises(ByzerSyntaxError) as caught:
        engine.run_script("select 1 as a as t;\nload csv.`x` t;", file="bad.byzer")
    assert (caught.value.position.file, caught.value.line) == ("bad.byzer", 2)  # type: ignore[union-attr]


def test_error_text_names_the_statement(engine: Engine) -> None:
    with pytest.raises(ByzerError) as caught:
        engine.run_script("select 1 as a as t;\nselect nope from t as u;", file="f.byzer")
    rendered = caught.value.render()
    # Spark names the column's own place in the statement (line 2, column 8: `nope`).
    assert rendered.startswith("f.byzer:2:8: error: select failed: [UNRESOLVED_COLUMN")
    assert "select nope from t as u;" in rendered
    assert "\tat " not in rendered and "Traceback" not in rendered


def test_shell_is_refused_when_not_allowed(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "config", dataclasses.replace(engine.config, allow_shell=False))
    with pytest.raises(ByzerAuthError):
        engine.run_script('set x = "id" where type="shell";')
    # ScriptUDF is user code: governed by allow_code, not by allow_shell.
    engine.run_script(
        "register ScriptUDF.`` as f where lang=\"python\" and code='''def apply(a): return a''';"
    )
    monkeypatch.setattr(engine, "config", dataclasses.replace(engine.config, allow_code=False))
    with pytest.raises(ByzerAuthError, match="allow_code"):
        engine.run_script(
            "register ScriptUDF.`` as f where lang=\"python\" and code='''def apply(a): return a''';"
        )


def test_analyze(engine: Engine) -> None:
    statements = engine.analyze("load csv.`a.csv` as t;\nselect * from t as u;", file="x.byzer")
    assert [s["kind"] for s in statements] == ["load", "select"]
    assert statements[1]["line"] == 2


def test_a_script_parsed_by_the_caller_is_not_parsed_again(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from byzer_engine import lang

    text = "set n = 2;\nselect ${n} + 1 as a as t;"
    statements = lang.parse_script(text)
    original = lang.parse_script
    calls: list[str] = []

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(str(args[0]))
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(lang, "parse_script", counting)
    assert engine.run_script(text, statements=statements).rows == [{"a": 3}]
    assert calls == []
    assert engine.run_script(text).rows == [{"a": 3}]
    assert calls == [text]
