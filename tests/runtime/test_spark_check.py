"""``executeMode=analyze`` with the Spark check: broken SQL bodies are caught, valid Spark SQL passes."""

from __future__ import annotations

import pytest

from byzer_engine.lang.errors import ByzerSyntaxError
from byzer_engine.llm.et import default_action
from byzer_engine.runtime import Engine


def test_broken_select_body_is_caught_with_its_line(engine: Engine) -> None:
    script = "select 1 as a as ok;\nselect count(*) from ok where a = as broken;"
    with pytest.raises(ByzerSyntaxError) as caught:
        engine.analyze(script, file="x.byzer", spark_check=True)
    assert caught.value.line == 2


def test_valid_spark_sql_is_accepted(engine: Engine) -> None:
    script = (
        'set t = "people";\n'
        "select explode(array(1, 2)) as x, transform(array(1), v -> v + 1) as y from ${t} as ok;\n"
        "insert into t2 select * from ${unknown};"
    )
    statements = engine.analyze(script, spark_check=True)
    assert [s["kind"] for s in statements] == ["set", "select", "sql"]


def test_sft_model_type_without_action_fine_tunes() -> None:
    assert default_action({"pretrainedModelType": "sft/llama2"}) == "finetune"
    assert default_action({"pretrainedModelType": "custom/auto"}) == "infer"
