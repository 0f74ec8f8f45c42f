"""``explain STATEMENT;`` (the statement is not run) and ``!explain;`` (every later one is explained)."""

from __future__ import annotations

from byzer_engine.lang.statements import Explain
from byzer_engine.runtime.executor.handlers import handles
from byzer_engine.runtime.executor.state import Produced, ScriptState
from byzer_engine.runtime.explain.script import Explainer, sandbox

# The view an explain's table is named as (``select * from explain_plan`` after it).
EXPLAIN_VIEW = "explain_plan"


def start_explaining(state: ScriptState) -> None:
    """From now on the script's statements are explained, in a copy of the owner's session."""
    from byzer_engine.runtime.sources.atomic import has_jvm

    if state.explainer is None:
        if has_jvm(state.spark):
            state.spark = sandbox(state.spark)
        state.explainer = Explainer(state)


def explained(state: ScriptState, explainer: Explainer) -> Produced:
    df = explainer.table()
    df.createOrReplaceTempView(EXPLAIN_VIEW)
    return Produced(EXPLAIN_VIEW, df)


@handles(Explain)
def run_explain(state: ScriptState, statement: Explain) -> Produced | None:
    if statement.target is None:
        start_explaining(state)
        return None
    explainer = Explainer(state, mode=statement.mode, run_safe=False)
    explainer.explain(statement.target)
    return explained(state, explainer)
