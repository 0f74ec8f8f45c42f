"""Shared fixtures: ``engine`` is the one Engine (embedded local Spark) of the whole test run.

Never create another SparkSession in tests: use ``engine`` (``engine.spark``, ``engine.run_script``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from byzer_engine.runtime import Engine, EngineConfig

# The real ``byzer serve`` fixtures (``server``, ``http``, ``client`` ...): one server for the run,
# shared by every folder whose tests use it.
pytest_plugins = ["server_fixtures"]


@pytest.fixture(scope="session")
def engine_data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data root of the shared engine: each owner's home is ``<root>/<owner>``."""
    return tmp_path_factory.mktemp("byzer-data")


@pytest.fixture(scope="session")
def engine(engine_data_root: Path) -> Iterator[Engine]:
    config = EngineConfig(
        spark_master="local[2]",
        data_root=str(engine_data_root),
        log_file=str(engine_data_root / "logs" / "spark.log"),
        # Tests of set type="shell" and ScriptUDF need it; the refusal is tested by switching it off.
        allow_shell=True,
        spark_conf={"spark.driver.memory": "2g"},
    )
    with Engine(config) as shared:
        yield shared
