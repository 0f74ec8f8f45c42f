"""The server's engine configuration: flags > BYZER_* env > config file, and owners kept in their
home unless something explicitly allows any path."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from byzer_engine.cli.serve import server_config
from byzer_engine.runtime.spark_session import LOCAL_SLOTS_PER_CORE, effective_master, spark_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "BYZER_ALLOW_ANY_PATH",
        "BYZER_ALLOW_SHELL",
        "BYZER_TOKEN",
        "BYZER_CONFIG",
        "BYZER_SPARK_MASTER",
    ):
        monkeypatch.delenv(name, raising=False)


def test_the_server_keeps_owners_home_by_default(tmp_path: Path) -> None:
    config = server_config(None, data_root=str(tmp_path))
    assert config.allow_any_path is False and config.allow_shell is False and config.token is None


def test_flags_allow_any_path_and_shell_and_set_the_token(tmp_path: Path) -> None:
    config = server_config(None, data_root=str(tmp_path), allow_any_path=True, allow_shell=True, token="t")
    assert config.allow_any_path and config.allow_shell and config.token == "t"


def test_env_and_config_file_can_allow_any_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BYZER_ALLOW_ANY_PATH", "true")
    assert server_config(None, data_root=str(tmp_path)).allow_any_path is True
    monkeypatch.delenv("BYZER_ALLOW_ANY_PATH")
    file = tmp_path / "byzer.toml"
    file.write_text('allow_any_path = true\nspark_master = "local[1]"\n[spark_conf]\n"spark.x" = "1"\n')
    config = server_config(str(file), data_root=str(tmp_path))
    assert config.allow_any_path is True and config.spark_master == "local[1]"
    assert server_config(str(file), master="local[2]").spark_master == "local[2]"


def test_the_token_comes_from_the_environment_too(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BYZER_TOKEN", "from-env")
    assert server_config(None, data_root=str(tmp_path)).token == "from-env"
    assert server_config(None, data_root=str(tmp_path), token="flag").token == "flag"


def test_owners_share_spark_fairly_unless_configured(tmp_path: Path) -> None:
    config = server_config(None, data_root=str(tmp_path))
    assert spark_settings(config)["spark.scheduler.mode"] == "FAIR"
    fifo = dataclasses.replace(config, spark_conf={"spark.scheduler.mode": "FIFO"})
    assert spark_settings(fifo)["spark.scheduler.mode"] == "FIFO"


def test_local_star_gets_spare_task_slots_but_one_partition_per_core(tmp_path: Path) -> None:
    cores = os.cpu_count() or 1
    slots = max(cores * LOCAL_SLOTS_PER_CORE, 2)
    assert effective_master("local[*]") == f"local[{slots}]"
    assert effective_master("local[*,3]") == f"local[{slots},3]"
    for written in ("local[2]", "local", "spark://h:7077", "sc://h:15002"):
        assert effective_master(written) == written
    settings = spark_settings(server_config(None, data_root=str(tmp_path)))
    assert settings["spark.default.parallelism"] == str(max(cores, 2))
