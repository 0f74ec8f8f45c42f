"""``set KEY = VALUE [where type=... and mode=... and scope=...];``

Types: ``text`` (a template, re-rendered as other variables change), ``sql`` (row 0, column 0 of the
query), ``shell`` (the command's output; only with ``allow_shell``), ``conf`` (a Spark SQL conf of the
owner's session; also a variable), ``defaultParam`` (only when the variable has no value yet).
``scope="session"`` keeps the value for this owner's later scripts.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable

from byzer_engine import lang
from byzer_engine.lang.errors import ByzerError
from byzer_engine.lang.statements import SetVar
from byzer_engine.policy import SHELL
from byzer_engine.runtime.executor.handlers import handles
from byzer_engine.runtime.executor.state import ScriptState

SetType = Callable[[ScriptState, SetVar], None]
SET_TYPES: dict[str, SetType] = {}


def set_type(name: str) -> Callable[[SetType], SetType]:
    def decorate(function: SetType) -> SetType:
        SET_TYPES[name] = function
        return function

    return decorate


def _rendered_value(state: ScriptState, statement: SetVar) -> str:
    return lang.render(statement.value, state.resolved_variables())


@set_type("text")
def _set_text(state: ScriptState, statement: SetVar) -> None:
    state.variables.set_template(statement.key, statement.value, mode=statement.mode)


@set_type("sql")
def _set_sql(state: ScriptState, statement: SetVar) -> None:
    query = _rendered_value(state, statement)
    rows = state.sql(query).take(1)
    if not rows:
        raise ByzerError(f"set {statement.key}: the query returned no rows")
    value = rows[0][0]
    state.variables.set_literal(statement.key, "" if value is None else str(value))


@set_type("shell")
def _set_shell(state: ScriptState, statement: SetVar) -> None:
    state.engine.policy.require(SHELL, 'set type="shell"')
    command = _rendered_value(state, statement)
    process = subprocess.Popen(
        command, shell=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=state.owner.home
    )
    state.job.on_cancel(process.kill)
    out, err = process.communicate()
    if process.returncode != 0:
        detail = err.strip().splitlines()[-1] if err.strip() else f"exit status {process.returncode}"
        raise ByzerError(f"set {statement.key}: shell command failed: {detail}")
    state.variables.set_literal(statement.key, out.rstrip("\n"))


@set_type("conf")
def _set_conf(state: ScriptState, statement: SetVar) -> None:
    state.engine.policy.check_conf(statement.key)
    value = _rendered_value(state, statement)
    state.spark.conf.set(statement.key, value)
    state.variables.set_literal(statement.key, value)


@set_type("defaultParam")
def _set_default(state: ScriptState, statement: SetVar) -> None:
    state.variables.set_default(statement.key, statement.value)


@handles(SetVar)
def run_set(state: ScriptState, statement: SetVar) -> None:
    kind = statement.set_type
    handler = SET_TYPES.get(kind)
    if handler is None:
        raise ByzerError(f"unknown set type '{kind}'; known types: {', '.join(SET_TYPES)}")
    handler(state, statement)
    if statement.scope == "session":
        value = state.resolved_variables().get(statement.key)
        if value is not None:
            with state.owner.lock:
                state.owner.variables[statement.key] = value
    return None
