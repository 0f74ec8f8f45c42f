"""Runs a script's statements in order on one owner's session.

Each statement is made ready just before it runs (``lang.prepare_statement``: rendered with the
variables as they are then, parsed again, a macro expanded), so ``${...}`` works anywhere; ``!if`` branches decide which
statements run; ``set ... where mode="compile"`` runs in a pass before everything else.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from byzer_engine import lang
from byzer_engine.lang.errors import ByzerError, ByzerJobKilled, ByzerTimeout
from byzer_engine.lang.statements import Branch, Explain, SetVar, Statement
from byzer_engine.runtime.executor.branches import BranchStack
from byzer_engine.runtime.executor.conditions import ConditionEvaluator
from byzer_engine.runtime.executor.errors import as_byzer_error
from byzer_engine.runtime.executor.handlers import handler_for, load_handlers
from byzer_engine.runtime.executor.state import NoTable, Produced, ScriptState

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from byzer_engine.runtime.engine import Engine
    from byzer_engine.runtime.jobs import RunningJob
    from byzer_engine.runtime.owner import OwnerSession
    from byzer_engine.runtime.paths import PathResolver

load_handlers()


def initial_variables(
    engine: Engine, owner: OwnerSession, request_variables: Mapping[str, str] | None
) -> object:
    """Built-ins, then this owner's session variables, then the caller's (``context.*``)."""
    table = lang.VariableTable()
    layers: list[Mapping[str, str]] = [
        lang.builtin_variables(owner.owner, owner.home),
        dict(owner.variables),
        request_variables or {},
    ]
    for layer in layers:
        for key, value in layer.items():
            table.set_literal(key, value)
    return table


class ScriptRunner:
    def __init__(
        self,
        engine: Engine,
        owner: OwnerSession,
        spark: SparkSession,
        job: RunningJob,
        resolver: PathResolver,
        *,
        file: str,
        variables: Mapping[str, str] | None,
        emit: Callable[[str], None],
    ) -> None:
        self.file = file
        self.lines: list[str] = []
        self.state = ScriptState(
            engine=engine,
            owner=owner,
            spark=spark,
            job=job,
            variables=initial_variables(engine, owner, variables),
            file=file,
            resolver=resolver,
            emit=emit,
        )
        # The statement that produced the current result (errors while collecting it point there).
        self.result_statement: Statement | None = None

    def parse(self, text: str, *, skip_include: bool) -> list[Statement]:
        self.lines = text.splitlines()
        project_root = (
            os.path.dirname(os.path.abspath(self.file))
            if os.path.isfile(self.file)
            else self.state.owner.home
        )
        statements: list[Statement] = lang.parse_script(
            text,
            file=self.file,
            project_root=project_root,
            skip_include=skip_include,
            resolve=self.state.resolve_path,
            variables=self.state.resolved_variables(),
            include_readers={"hdfs": self._read_hdfs_include},
        )
        return statements

    def _read_hdfs_include(self, path: str) -> tuple[str, str]:
        """``include hdfs.`PATH` ``: a script file in the owner's home, read through Hadoop's FileSystem."""
        from byzer_engine.runtime.sources.atomic import HadoopFiles, has_jvm

        if not has_jvm(self.state.spark):
            raise ByzerError("include hdfs needs a local or cluster Spark session (not Spark Connect)")
        resolved = self.state.resolve_path(path)
        for candidate in (resolved, resolved + ".byzer", resolved + ".mlsql"):
            files = HadoopFiles(self.state.spark, candidate)
            if files.exists() and files.fs.isFile(files.path):
                return candidate, files.read_bytes(files.path).decode("utf-8")
        raise ByzerError(f"no file {resolved} (also tried {resolved}.byzer and {resolved}.mlsql)")

    def fail(self, exc: BaseException, statement: Statement) -> ByzerError:
        return as_byzer_error(exc, statement, self.state.job, self.lines, self.file)

    def _check_cancelled(self, statement: Statement) -> None:
        reason = self.state.job.cancel_reason
        if reason is not None:
            raise self.fail(ByzerJobKilled(reason) if reason == "killed" else ByzerTimeout(reason), statement)

    def run(self, statements: list[Statement]) -> Produced | None:
        try:
            self._compile_pass(statements)
            self._run_all(statements)
            if self.state.explainer is not None:
                from byzer_engine.runtime.executor.handlers.explain import explained

                self.state.result = explained(self.state, self.state.explainer)
                self.result_statement = statements[-1] if statements else None
        finally:
            for cleanup in reversed(self.state.cleanups):
                try:
                    cleanup()
                except Exception:
                    pass
        return self.state.result

    def _compile_pass(self, statements: list[Statement]) -> None:
        for statement in statements:
            if isinstance(statement, SetVar) and statement.mode == "compile":
                self._execute(statement)

    def _run_all(self, statements: list[Statement]) -> None:
        queue: deque[tuple[Statement, bool]] = deque((s, False) for s in statements)
        branches = BranchStack()
        conditions = ConditionEvaluator(self.state)
        while queue:
            statement, prepared = queue.popleft()
            self._check_cancelled(statement)
            try:
                if isinstance(statement, Branch):
                    branches.handle(statement, conditions.evaluate)
                    continue
                if not branches.executing:
                    continue
                if isinstance(statement, SetVar) and statement.mode == "compile":
                    continue  # ran in the compile pass
                if not prepared and not isinstance(statement, SetVar):
                    ready = lang.prepare_statement(statement, self.state.resolved_variables())
                    if len(ready) != 1 or ready[0] is not statement:
                        queue.extendleft((s, True) for s in reversed(ready))
                        continue
            except Exception as exc:
                raise self.fail(exc, statement) from exc
            self._execute(statement)
        try:
            branches.check_closed()
        except ByzerError as exc:
            raise self.fail(exc, statements[-1]) from exc

    def explain_all(self) -> None:
        """Explain the script instead of running it (``executeMode=explain``, ``byzer run --explain``)."""
        from byzer_engine.runtime.executor.handlers.explain import start_explaining

        start_explaining(self.state)

    def _execute(self, statement: Statement) -> None:
        if self.state.explainer is not None and not (
            isinstance(statement, Explain) and statement.target is None
        ):
            self.state.explainer.explain(statement)
            return
        handler = handler_for(statement)
        try:
            if handler is None:
                raise ByzerError(f"cannot run a '{statement.kind}' statement")
            outcome = handler(self.state, statement)
        except Exception as exc:
            raise self.fail(exc, statement) from exc
        if isinstance(outcome, Produced):
            self.state.result = outcome
            self.state.last_table = outcome.table
            self.result_statement = statement
        elif isinstance(outcome, NoTable):
            self.state.result = None
            self.result_statement = None
