"""The Spark driver's JVM: is it alive, and forgetting a dead one so a new one can start.

PySpark keeps its gateway, its JVM view and the active context in class attributes; once the JVM
is gone (``kill -9``, an OOM kill, ``System.exit``) every call through them fails with a connection
error. ``jvm_alive`` notices that without a JVM call (the gateway's process has exited, or the
context was stopped); ``forget_dead_driver`` clears PySpark's globals so that the next
``SparkSession.builder.getOrCreate()`` launches a fresh JVM.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from byzer_engine.lang.errors import ByzerError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


class SparkDriverLost(ByzerError):
    """The Spark driver died under a script; the engine starts a new one (HTTP 503)."""

    kind = "engine restarting"


def jvm_alive(spark: SparkSession | None) -> bool:
    """False once the JVM of ``spark`` (a classic session) has exited or its context stopped."""
    if spark is None:
        return True
    context: Any = getattr(spark, "_sc", None)
    if context is None:  # Spark Connect: no JVM in this process
        return True
    if getattr(context, "_jsc", None) is None:
        return False
    gateway: Any = getattr(context, "_gateway", None)
    proc: Any = getattr(gateway, "proc", None)
    return proc is None or proc.poll() is None


def driver_exit_code(spark: SparkSession | None) -> int | None:
    context: Any = getattr(spark, "_sc", None)
    proc: Any = getattr(getattr(context, "_gateway", None), "proc", None)
    code = proc.poll() if proc is not None else None
    return int(code) if code is not None else None


def forget_dead_driver(spark: SparkSession) -> None:
    """Drops PySpark's references to a dead driver (closing what is left of the connection)."""
    from pyspark import SparkContext
    from pyspark.sql import SparkSession as Session

    context: Any = getattr(spark, "_sc", None)
    gateway: Any = getattr(context, "_gateway", None)
    server = getattr(context, "_accumulatorServer", None)
    if server is not None:
        with contextlib.suppress(Exception):
            server.shutdown()
            server.server_close()
    if gateway is not None:
        with contextlib.suppress(Exception):
            gateway.close(keep_callback_server=False, close_callback_server_connections=True)
        proc = getattr(gateway, "proc", None)
        if proc is not None and proc.poll() is None:  # stopped but not gone: make it go
            with contextlib.suppress(Exception):
                proc.kill()
                proc.wait(timeout=30)
    with SparkContext._lock:
        SparkContext._active_spark_context = None
        SparkContext._gateway = None
        SparkContext._jvm = None
    Session._instantiatedSession = None
    Session._activeSession = None
