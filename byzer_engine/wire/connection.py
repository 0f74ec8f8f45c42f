"""One client connection: mysql-mimic's packet layer, with the engine's parts put in.

mysql-mimic reads and frames packets, runs the handshake and the auth plugins, and answers pings,
``COM_INIT_DB`` and the protocol statements. This class adds what the engine needs: no command
runs before a successful login; a server without a token takes loopback clients only; result sets
carry full column metadata (precision, scale, flags) and stream; prepared statements bind their
values as literals (``params``); errors are the engine's (``errors``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

from mysql_mimic import packets, types
from mysql_mimic.connection import Connection
from mysql_mimic.errors import ErrorCode, MysqlError
from mysql_mimic.types import ServerStatus

from byzer_engine.wire.auth import is_loopback, tokens_for
from byzer_engine.wire.errors import HOST_NOT_ALLOWED, WireError, wire_error
from byzer_engine.wire.params import Execute, Prepared, bind, parse_execute, placeholder_offsets
from byzer_engine.wire.routing import Route
from byzer_engine.wire.session import WireResult, WireSession
from byzer_engine.wire.types import WireColumn

log = logging.getLogger("byzer_engine.wire")

# How often a connection waiting on a long job checks whether its client is still there.
_PEER_CHECK_S = 0.5


class WireConnection(Connection):
    session: WireSession

    def __init__(self, *args: Any, reader: asyncio.StreamReader, peer: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reader = reader
        self.peer = peer
        self.statements: dict[int, Prepared] = {}
        # Open cursors (COM_STMT_EXECUTE with a read-only cursor), by statement id.
        self.cursors: dict[int, AsyncIterator[bytes]] = {}

    # -- login ---------------------------------------------------------------------------------------
    async def connection_phase(self) -> None:
        config = self.session.context.config
        if tokens_for(config, "") is None and not is_loopback(self.peer):
            host = self.peer[0] if isinstance(self.peer, tuple) else self.peer
            message = (
                f"Host '{host}' is not allowed to connect: this server has no token, so only "
                "loopback clients may log in"
            )
            await self.stream.write(
                WireError(HOST_NOT_ALLOWED, "HY000", message).packet(self.server_capabilities)
            )
            self.session.username = None
            return
        await super().connection_phase()

    async def command_phase(self) -> None:
        if not self.session.username:
            return  # the login failed: the error was sent, nothing else runs
        await super().command_phase()

    # -- writing -------------------------------------------------------------------------------------
    async def write_error(self, exc: BaseException) -> None:
        await self.stream.write(wire_error(exc).packet(self.capabilities))

    def _column_definition(self, column: WireColumn) -> bytes:
        return packets.make_column_definition_41(
            server_charset=self.server_charset,
            schema=self.session.database or "",
            name=column.name,
            character_set=column.type.character_set,
            column_length=column.type.length,
            column_type=column.column.type,
            flags=column.flags,
            decimals=column.type.decimals,
        )

    def _header(self, columns: Sequence[WireColumn]) -> list[bytes]:
        header = [packets.make_column_count(capabilities=self.capabilities, column_count=len(columns))]
        header.extend(self._column_definition(c) for c in columns)
        if not self.deprecate_eof():
            header.append(self.eof())
        return header

    async def _await_columns(self, pending: asyncio.Future[WireResult | None]) -> WireResult | None:
        """Waits for a query's first answer, killing its job if the client hangs up meanwhile."""
        while True:
            done, _ = await asyncio.wait({pending}, timeout=_PEER_CHECK_S)
            if done:
                return pending.result()
            if self.reader.at_eof():
                self.session.kill_query()

    async def _watched(self, result: WireResult) -> AsyncIterator[Sequence[Sequence[Any]]]:
        """The result's batches, stopping with ConnectionResetError if the client hangs up while the
        job is still working on the next one."""
        iterator = aiter(result.batches)
        while True:
            pending = asyncio.ensure_future(anext(iterator))
            while True:
                done, _ = await asyncio.wait({pending}, timeout=_PEER_CHECK_S)
                if done:
                    break
                if self.reader.at_eof():
                    pending.cancel()
                    raise ConnectionResetError("the client went away")
            try:
                batch = pending.result()
            except StopAsyncIteration:
                return
            yield batch

    async def _run(self, sql: str, attrs: dict[str, str], kind: Route | None) -> WireResult | None:
        pending = asyncio.ensure_future(self.session.execute(sql, attrs, kind))
        try:
            return await self._await_columns(pending)
        except asyncio.CancelledError:
            pending.cancel()
            self.session.kill_query()
            raise

    async def _write_text(self, result: WireResult) -> None:
        self.stream.write_many(self._header(result.columns))
        columns = [c.column for c in result.columns]
        completed = False
        try:
            async for batch in self._watched(result):
                self.stream.write_text_rows(batch, columns)
                await self.stream.drain()
            completed = True
        finally:
            result.done(completed)
        # 0 affected rows, as MySQL sends after a result set (JDBC drivers read it that way).
        await self.stream.write(self.ok_or_eof())

    async def handle_query(self, data: bytes) -> None:
        query = packets.parse_com_query(
            capabilities=self.capabilities, client_charset=self.client_charset, data=data
        )
        await self._answer(query.sql, query.query_attrs)

    async def _answer(
        self, sql: str, attrs: dict[str, str], binary: Execute | None = None, kind: Route | None = None
    ) -> None:
        try:
            result = await self._run(sql, attrs, kind)
        except (asyncio.CancelledError, ConnectionError):
            raise
        except Exception as exc:
            await self.write_error(exc)
            return
        if result is None:
            await self.stream.write(self.ok())
            return
        try:
            if binary is None:
                await self._write_text(result)
            else:
                await self._write_binary(result, binary)
        except (asyncio.CancelledError, ConnectionError):
            raise
        except Exception as exc:
            # The job failed after the header went out: an error packet in place of the next row.
            await self.write_error(exc)

    # -- prepared statements -------------------------------------------------------------------------
    def _statement(self, stmt_id: int) -> Prepared:
        statement = self.statements.get(stmt_id)
        if statement is None:
            raise MysqlError(f"Unknown prepared statement handler ({stmt_id})", ErrorCode.UNKNOWN_PROCEDURE)
        return statement

    async def handle_stmt_prepare(self, data: bytes) -> None:
        sql = self.client_charset.decode(data)
        try:
            marks = placeholder_offsets(sql)
        except Exception as exc:
            await self.write_error(exc)
            return
        stmt_id = next(self.prepared_stmt_seq)
        statement = Prepared(stmt_id, sql, marks)
        self.statements[stmt_id] = statement
        ok = b"".join(
            [
                types.uint_1(0),
                types.uint_4(stmt_id),
                types.uint_2(0),  # columns: sent with each execution's result
                types.uint_2(statement.num_params),
                types.uint_1(0),
                types.uint_2(0),
            ]
        )
        out = [ok]
        if statement.num_params:
            out.extend(
                packets.make_column_definition_41(server_charset=self.server_charset, name="?")
                for _ in range(statement.num_params)
            )
            if not self.deprecate_eof():
                out.append(self.eof())
        self.stream.write_many(out)
        await self.stream.drain()

    async def handle_stmt_send_long_data(self, data: bytes) -> None:
        long_data = packets.parse_com_stmt_send_long_data(data)
        statement = self._statement(long_data.stmt_id)
        statement.long_data.setdefault(long_data.param_id, bytearray()).extend(long_data.data)

    async def handle_stmt_execute(self, data: bytes) -> None:
        try:
            execute = parse_execute(data, self.capabilities, self.client_charset.codec, self._statement)
            kind = self.session.route(execute.stmt.sql)
            sql = bind(execute.stmt.sql, execute.stmt.marks, execute.values, mysql=kind is Route.PROTOCOL)
        except Exception as exc:
            await self.write_error(exc)
            return
        await self._answer(sql, {}, binary=execute, kind=kind)

    async def _binary_rows(self, result: WireResult) -> AsyncIterator[bytes]:
        columns = [c.column for c in result.columns]
        completed = False
        try:
            async for batch in self._watched(result):
                for row in batch:
                    yield packets.make_binary_resultrow(row, columns)
            completed = True
        finally:
            result.done(completed)

    async def _write_binary(self, result: WireResult, execute: Execute) -> None:
        header = self._header(result.columns)
        rows = self._binary_rows(result)
        if execute.use_cursor:
            if not self.deprecate_eof():
                header = header[:-1]
            self.stream.write_many(header)
            self.cursors[execute.stmt.stmt_id] = rows
            await self.stream.write(self.ok_or_eof(flags=ServerStatus.SERVER_STATUS_CURSOR_EXISTS))
            return
        self.stream.write_many(header)
        count = 0
        async for row in rows:
            self.stream.write_many([row])
            count += 1
            if count % 1024 == 0:
                await self.stream.drain()
        await self.stream.write(self.ok_or_eof())

    async def handle_stmt_fetch(self, data: bytes) -> None:
        fetch = packets.parse_handle_stmt_fetch(data)
        rows = self.cursors.get(fetch.stmt_id)
        if rows is None:
            raise MysqlError("no open cursor for this statement", ErrorCode.UNKNOWN_PROCEDURE)
        count = 0
        out: list[bytes] = []
        try:
            while count < fetch.num_rows:
                out.append(await rows.__anext__())
                count += 1
        except StopAsyncIteration:
            self.cursors.pop(fetch.stmt_id, None)
        self.stream.write_many(out)
        done = count < fetch.num_rows
        flags = ServerStatus.SERVER_STATUS_LAST_ROW_SENT if done else ServerStatus.SERVER_STATUS_CURSOR_EXISTS
        await self.stream.write(self.ok_or_eof(flags=flags))

    async def _close_cursor(self, stmt_id: int) -> None:
        rows = self.cursors.pop(stmt_id, None)
        if rows is not None:
            aclose = getattr(rows, "aclose", None)
            if aclose is not None:
                await aclose()

    async def handle_stmt_reset(self, data: bytes) -> None:
        reset = packets.parse_com_stmt_reset(data)
        statement = self._statement(reset.stmt_id)
        statement.long_data = {}
        await self._close_cursor(reset.stmt_id)
        await self.stream.write(self.ok())

    async def handle_stmt_close(self, data: bytes) -> None:
        close = packets.parse_com_stmt_close(data)
        self.statements.pop(close.stmt_id, None)
        await self._close_cursor(close.stmt_id)
