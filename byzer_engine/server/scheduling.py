"""Fair sharing of Spark between owners: each owner's jobs go to their own scheduler pool.

The server starts Spark with ``spark.scheduler.mode=FAIR`` (unless configured otherwise) and runs each
request with the thread-local property ``spark.scheduler.pool`` set to its owner. Spark then hands a
free task slot to the owner with the fewest running tasks, so one owner's long job (many tasks) does
not make another owner's small query wait for it to finish; within one owner, jobs keep their order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from byzer_engine.runtime import Engine, EngineConfig

log = logging.getLogger("byzer_engine.server")

T = TypeVar("T")
POOL_PROPERTY = "spark.scheduler.pool"


def with_fair_scheduling(config: EngineConfig) -> EngineConfig:
    """The configuration with FAIR scheduling on, unless it already chooses a scheduler mode."""
    import dataclasses

    if "spark.scheduler.mode" in config.spark_conf or config.is_connect:
        return config
    return dataclasses.replace(config, spark_conf={**config.spark_conf, "spark.scheduler.mode": "FAIR"})


def _spark_context(engine: Engine) -> Any:
    try:
        return engine.spark.sparkContext
    except Exception:  # Spark Connect has no SparkContext in this process: nothing to set
        return None


def in_owner_pool(engine: Engine, owner: str, call: Callable[[], T]) -> Callable[[], T]:
    """``call`` wrapped to run its Spark jobs in the owner's pool (on the calling thread)."""

    def run() -> T:
        context = _spark_context(engine)
        if context is not None:
            context.setLocalProperty(POOL_PROPERTY, owner)
        try:
            return call()
        finally:
            if context is not None:
                try:
                    context.setLocalProperty(POOL_PROPERTY, None)
                except Exception as exc:  # the session may have been stopped meanwhile
                    log.debug("could not reset the scheduler pool: %s", exc)

    return run
