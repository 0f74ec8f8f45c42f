"""The MySQL-protocol listener: an asyncio server on its own thread, over one ``Engine``.

``byzer serve --mysql-port PORT`` runs it beside the HTTP server on the same engine; tests and
embedding code start it with ``WireListener(config, engine).start()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from mysql_mimic.control import LocalControl, TooManyConnections
from mysql_mimic.stream import MysqlStream

from byzer_engine.wire.auth import OwnerIdentityProvider
from byzer_engine.wire.connection import WireConnection
from byzer_engine.wire.errors import WireError
from byzer_engine.wire.session import WireContext, WireSession, WireSettings

if TYPE_CHECKING:
    from byzer_engine.runtime import Engine

log = logging.getLogger("byzer_engine.wire")

DEFAULT_PORT = 3307


class WireListener:
    """Accepts MySQL clients on ``settings.host:settings.port`` (port 0: a free one)."""

    def __init__(
        self,
        config: Any,
        engine: Engine | Callable[[], Engine],
        settings: WireSettings | None = None,
    ) -> None:
        self.settings = settings or WireSettings()
        provider: Callable[[], Engine] = engine if callable(engine) else (lambda: engine)
        self._executor = ThreadPoolExecutor(self.settings.threads, thread_name_prefix="byzer-mysql")
        self.context = WireContext(config, provider, self._executor, self.settings)
        self._identity = OwnerIdentityProvider(config)
        self._control = LocalControl()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self.port: int | None = None

    async def _client_connected(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        stream = MysqlStream(reader, writer)
        session = WireSession(self.context)
        connection = WireConnection(
            stream=stream,
            session=session,
            control=self._control,
            identity_provider=self._identity,
            reader=reader,
            peer=writer.get_extra_info("peername"),
        )
        try:
            connection.connection_id = await self._control.add(connection)
        except TooManyConnections:
            await stream.write(
                WireError(1040, "08004", "Too many connections").packet(connection.server_capabilities)
            )
            writer.close()
            return
        try:
            await connection.start()
        except (ConnectionError, asyncio.IncompleteReadError):
            log.debug("MySQL connection %s closed", connection.connection_id, exc_info=True)
        except asyncio.CancelledError:
            log.debug("MySQL connection %s cancelled", connection.connection_id, exc_info=True)
        except Exception:
            log.exception("MySQL connection %s failed", connection.connection_id)
        finally:
            with contextlib.suppress(Exception):
                writer.close()
            await self._control.remove(connection.connection_id)

    def start(self, timeout_s: float = 30.0) -> int:
        """Starts listening on a thread of its own; returns the port."""
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                self._server = loop.run_until_complete(
                    asyncio.start_server(self._client_connected, self.settings.host, self.settings.port)
                )
                self.port = int(self._server.sockets[0].getsockname()[1])
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()

        self._thread = threading.Thread(target=run, name="byzer-mysql-listener", daemon=True)
        self._thread.start()
        if not ready.wait(timeout_s):
            raise RuntimeError("the MySQL listener did not start")
        if failure:
            raise failure[0]
        assert self.port is not None
        log.info("MySQL protocol on %s:%s", self.settings.host, self.port)
        return self.port

    def stop(self) -> None:
        loop, server = self._loop, self._server
        if loop is None or server is None or loop.is_closed():
            return

        async def shutdown() -> None:
            server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 5)

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(shutdown(), loop).result(10)
        for session in list(self.context.sessions.values()):
            session.kill_query()
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        self._executor.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> WireListener:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
