"""Registers a Spark Python Data Source (``pyspark.sql.datasource``) with an owner's session, once.

Registrations belong to one SparkSession, and every owner has a session of their own.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

_lock = threading.Lock()


def _known(spark: SparkSession, name: str) -> bool:
    jsession = getattr(spark, "_jsparkSession", None)
    if jsession is None:
        return False
    return bool(jsession.sessionState().dataSourceManager().dataSourceExists(name))


def use_python_source(spark: SparkSession, source: Any) -> str:
    """Registers ``source`` (a ``DataSource`` subclass) with ``spark`` unless it is there; its name.

    Spark's reader and writer look the name up in the thread's active session, so ``spark`` is made
    the active session of this thread too.
    """
    from pyspark.sql import SparkSession

    name = str(source.name())
    jvm = getattr(spark, "_jvm", None)
    if jvm is not None:
        jvm.org.apache.spark.sql.SparkSession.setActiveSession(spark._jsparkSession)  # type: ignore[attr-defined]
    sessions = [spark, getattr(SparkSession, "_instantiatedSession", None)]
    with _lock:
        for session in sessions:
            if session is None or _known(session, name):
                continue
            try:
                session.dataSource.register(source)
            except Exception as exc:  # sessions may share the registration
                if "DATA_SOURCE_ALREADY_EXISTS" not in str(exc):
                    raise
    return name
