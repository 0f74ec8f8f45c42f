"""The runtime: runs parsed Byzer scripts on Spark.

``Engine`` owns the SparkSession and per-owner sessions; ``run_script`` runs a script and returns a
``Result``; ``EngineConfig`` holds the configuration; ``JobInfo`` describes a running job.
"""

from byzer_engine.runtime.config import EngineConfig
from byzer_engine.runtime.engine import Engine
from byzer_engine.runtime.jobs import JobInfo
from byzer_engine.runtime.result import Result

__all__ = ["Engine", "EngineConfig", "JobInfo", "Result"]
