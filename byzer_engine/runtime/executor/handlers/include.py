"""``include`` left in the script (``skip_include``): nothing to run."""

from __future__ import annotations

from byzer_engine.lang.statements import Include
from byzer_engine.runtime.executor.handlers import handles
from byzer_engine.runtime.executor.state import ScriptState


@handles(Include)
def run_include(state: ScriptState, statement: Include) -> None:
    # Includes are spliced in before parsing; with skip_include they are deliberately ignored.
    return None
