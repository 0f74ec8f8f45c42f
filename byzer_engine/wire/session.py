"""One connection's session: the owner who logged in, MySQL variables, and how statements run.

Protocol statements (see ``routing``) are answered by mysql-mimic's ``Session`` over the owner's
catalog; SQL queries and Byzer scripts run as engine jobs on the owner's Spark session (so a table
made by one statement is visible to the next, on every connection of that owner) and stream back.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mysql_mimic import ResultSet, Session
from mysql_mimic.constants import KillKind
from mysql_mimic.errors import ErrorCode, MysqlError
from mysql_mimic.results import ensure_result_set
from mysql_mimic.schema import InfoSchema
from mysql_mimic.session import Query
from mysql_mimic.utils import aiterate
from mysql_mimic.variables import SYSTEM_VARIABLES, GlobalVariables, SessionVariables, VariableSchema
from sqlglot import exp

from byzer_engine.wire.catalog import SESSION_DB, info_schema, owner_tables
from byzer_engine.wire.errors import KILL_DENIED, UNKNOWN_THREAD, WireError, WireFailure
from byzer_engine.wire.routing import Route, plain_sql, route
from byzer_engine.wire.streaming import TableStream
from byzer_engine.wire.types import WireColumn, protocol_column

if TYPE_CHECKING:
    from byzer_engine.runtime import Engine

log = logging.getLogger("byzer_engine.wire")

QUERY_FILE = "<query>"
# The view a plain SQL query's result is named in the owner's session (hidden from SHOW TABLES).
RESULT_VIEW = "__mysql_result__"

_job_numbers = itertools.count(1)


@dataclass(frozen=True)
class WireSettings:
    """How the listener behaves (``byzer serve --mysql-*``)."""

    host: str = "127.0.0.1"
    port: int = 3307
    # Rows a result may have at most (None: no cap; results stream, so memory stays bounded).
    max_rows: int | None = None
    # Engine jobs that may run at the same time over the wire.
    threads: int = 16
    server_version: str = "8.0.29-byzer"


def variables_schema(settings: WireSettings) -> dict[str, VariableSchema]:
    """MySQL's variables as mysql-mimic knows them, plus what tools probe and the engine's own."""
    schema = dict(SYSTEM_VARIABLES)
    schema.update(
        {
            "version": (str, settings.server_version, False),
            "version_comment": (str, "byzer-engine", False),
            "tx_isolation": (str, "READ-COMMITTED", True),
            "tx_read_only": (bool, False, True),
            "query_cache_size": (int, 0, False),
            "query_cache_type": (str, "OFF", False),
            "character_set_system": (str, "utf8mb3", False),
            "lower_case_file_system": (bool, False, False),
            "have_ssl": (str, "DISABLED", False),
            "sql_safe_updates": (bool, False, True),
            "sql_quote_show_create": (bool, True, True),
            "foreign_key_checks": (bool, True, True),
            "unique_checks": (bool, True, True),
            "sql_notes": (bool, True, True),
            "sql_warnings": (bool, False, True),
            "div_precision_increment": (int, 4, True),
            "group_concat_max_len": (int, 1024, True),
            "default_week_format": (int, 0, True),
            # The engine's own: at most this many rows per result (-1: the listener's setting).
            "byzer_output_size": (int, -1, True),
        }
    )
    return schema


@dataclass
class WireContext:
    """What every connection of one listener shares."""

    config: Any  # EngineConfig
    engine: Callable[[], Engine]
    executor: Executor
    settings: WireSettings
    # Live sessions by connection id (KILL looks its target up here).
    sessions: dict[int, WireSession] = field(default_factory=dict)


@dataclass
class WireResult:
    """A result set ready to write: its columns and its rows, batch by batch."""

    columns: list[WireColumn]
    batches: AsyncIterator[Sequence[Sequence[Any]]]
    # Called once the rows are written, or when writing them stopped early.
    done: Callable[[bool], None] = lambda completed: None


async def _batched(rows: Any) -> AsyncIterator[Sequence[Sequence[Any]]]:
    if isinstance(rows, list | tuple):
        if rows:
            yield rows
        return
    batch: list[Sequence[Any]] = []
    async for row in aiterate(rows):
        batch.append(row)
        if len(batch) >= 1024:
            yield batch
            batch = []
    if batch:
        yield batch


class WireSession(Session):
    def __init__(self, context: WireContext) -> None:
        super().__init__(SessionVariables(GlobalVariables(variables_schema(context.settings))))
        self.context = context
        self.database: str | None = None
        self.connection_id = 0
        self.current_job: str | None = None

    @property
    def owner(self) -> str:
        if not self.username:
            raise MysqlError("not logged in", ErrorCode.ACCESS_DENIED_ERROR)
        return self.username

    # -- lifecycle -----------------------------------------------------------------------------------
    async def init(self, connection: Any) -> None:
        await super().init(connection)
        self.connection_id = int(connection.connection_id)
        if not self.database:
            self.database = SESSION_DB
        if self.username:
            self.context.sessions[self.connection_id] = self

    async def close(self) -> None:
        self.context.sessions.pop(self.connection_id, None)
        self.kill_query()
        await super().close()

    def kill_query(self) -> bool:
        job = self.current_job
        if job is None:
            return False
        try:
            return self.context.engine().kill(job_name=job)
        except Exception:
            return False

    # -- blocking calls ------------------------------------------------------------------------------
    async def _blocking(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.context.executor, fn, *args)

    def _spark(self) -> Any:
        return self.context.engine().session_for(self.owner)

    async def schema(self) -> InfoSchema:
        result: InfoSchema = await self._blocking(lambda: info_schema(self._spark(), {RESULT_VIEW}))
        return result

    async def use(self, database: str) -> None:
        databases = await self._blocking(lambda: owner_tables(self._spark(), {RESULT_VIEW}))
        known = {name.lower(): name for name in databases} | {"information_schema": "information_schema"}
        if database.lower() not in known:
            raise MysqlError(f"Unknown database '{database}'", ErrorCode.NO_DB_ERROR)
        self.database = known[database.lower()]

    # -- statements ----------------------------------------------------------------------------------
    def _known_variable(self, name: str) -> bool:
        return name.lower() in self.variables.schema

    def route(self, sql: str) -> Route:
        return route(sql.strip(), self._known_variable)

    async def execute(self, sql: str, attrs: dict[str, str], kind: Route | None = None) -> WireResult | None:
        """Runs one COM_QUERY, or a bound prepared statement (``kind``: the route of its text with the
        ``?`` marks); None: no result set (an OK packet)."""
        self.owner  # noqa: B018 - refuses a connection that never logged in
        log.debug("connection %s: %s", self.connection_id, sql)
        text = sql.strip()
        if not text.rstrip(";").strip():
            raise MysqlError("Query was empty", ErrorCode.EMPTY_QUERY)
        kind = kind or self.route(text)
        if kind is Route.PROTOCOL:
            return await self._protocol(text, attrs)
        if kind is Route.SQL:
            return await self.run_engine(self._as_select(text))
        return await self.run_engine(sql)

    async def _protocol(self, sql: str, attrs: dict[str, str]) -> WireResult | None:
        result = await ensure_result_set(await self.handle_query(sql, attrs))
        if not result.columns:
            return None
        return WireResult([protocol_column(c) for c in result.columns], _batched(result.rows))

    @staticmethod
    def _as_select(sql: str) -> str:
        """A plain query as one Byzer ``select ... as VIEW`` statement."""
        body = plain_sql(sql.strip().rstrip(";").rstrip())
        if not body.lstrip("( \n\t").lower().startswith("select"):
            body = f"select * from ({body})"
        return f"{body}\nas {RESULT_VIEW};"

    def _max_rows(self) -> int | None:
        cap = self.variables.get("byzer_output_size")
        if isinstance(cap, int) and cap >= 0:
            return cap
        limit = self.variables.get("sql_select_limit")
        if isinstance(limit, int) and limit >= 0:
            return limit
        return self.context.settings.max_rows

    def _timeout_s(self) -> float | None:
        ms = self.variables.get("max_execution_time")
        return ms / 1000 if isinstance(ms, int) and ms > 0 else None

    async def run_engine(self, text: str) -> WireResult | None:
        """Runs ``text`` as a Byzer script, streaming its last table."""
        owner = self.owner
        loop = asyncio.get_running_loop()
        stream = TableStream(loop, self._max_rows())
        job_name = f"mysql-{self.connection_id}-{next(_job_numbers)}"
        timeout_s = self._timeout_s()

        def work() -> None:
            try:
                self.context.engine().run_script(
                    text,
                    owner=owner,
                    file=QUERY_FILE,
                    job_name=job_name,
                    job_type="mysql",
                    timeout_s=timeout_s,
                    on_table=stream.feed,
                )
            except BaseException as exc:
                stream.end(exc)
            else:
                stream.end()

        self.current_job = job_name
        finished = False

        def done(completed: bool) -> None:
            nonlocal finished
            if finished:
                return
            finished = True
            if not completed:
                stream.close()
                self.kill_query()
            if self.current_job == job_name:
                self.current_job = None

        self._worker = loop.run_in_executor(self.context.executor, work)
        try:
            columns = await stream.columns()
        except BaseException:
            done(False)
            raise
        if columns is None:
            done(True)
            return None
        return WireResult(columns, stream.batches(), done)

    async def query(self, expression: exp.Expression, sql: str, attrs: dict[str, str]) -> Any:
        """What mysql-mimic's middlewares passed on: runs as Spark SQL."""
        result = await self.run_engine(self._as_select(sql))
        if result is None:
            return None
        rows = [row async for batch in result.batches for row in batch]
        result.done(True)
        return ResultSet(rows, [c.column for c in result.columns])

    def _set_variable(self, setitem: exp.SetItem) -> None:
        try:
            super()._set_variable(setitem)
        except MysqlError as exc:
            if exc.code != ErrorCode.NOT_SUPPORTED_YET:
                raise
            # A computed value (JDBC drivers send "sql_mode = concat(@@sql_mode, ...)"): the engine
            # has no use for it, and refusing it would fail the driver's connect.
            log.debug("connection %s: ignored %s", self.connection_id, setitem.sql("mysql"))

    async def _kill_middleware(self, q: Query) -> Any:
        """KILL [QUERY|CONNECTION] id: only of a connection of the same owner."""
        if not isinstance(q.expression, exp.Kill):
            return await q.next()
        kind = KillKind[(q.expression.text("kind") or "CONNECTION").upper()]
        target_id = q.expression.this.name
        try:
            target = self.context.sessions.get(int(target_id))
        except ValueError as exc:
            raise MysqlError(f"Invalid KILL connection ID: {target_id}", ErrorCode.PARSE_ERROR) from exc
        if target is None:
            raise WireFailure(WireError(UNKNOWN_THREAD, "HY000", f"Unknown thread id: {target_id}"))
        if target.username != self.owner:
            raise WireFailure(WireError(KILL_DENIED, "HY000", f"You are not owner of thread {target_id}"))
        target.kill_query()
        if kind == KillKind.CONNECTION:
            target.connection.kill(KillKind.CONNECTION)
        return [], []
