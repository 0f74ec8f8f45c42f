"""EngineConfig.load: overrides > BYZER_* environment > TOML file > defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime import EngineConfig


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "BYZER_SPARK_MASTER",
        "BYZER_DATA_ROOT",
        "BYZER_ALLOW_SHELL",
        "BYZER_CONFIG",
        "BYZER_JARS_DIR",
    ):
        monkeypatch.delenv(name, raising=False)


def test_defaults_run_embedded() -> None:
    config = EngineConfig.load()
    assert config.spark_master == "local[*]"
    assert config.allow_shell is False and config.allow_any_path is True
    assert "/usr/share/java" in config.all_jars_dirs()


def test_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    toml = tmp_path / "byzer.toml"
    toml.write_text(
        'spark_master = "local[1]"\nallow_shell = true\ndata_root = "/tmp/from-file"\n'
        '[spark_conf]\n"spark.sql.shuffle.partitions" = 3\n'
    )
    from_file = EngineConfig.load(str(toml))
    assert (from_file.spark_master, from_file.allow_shell) == ("local[1]", True)
    assert from_file.spark_conf == {"spark.sql.shuffle.partitions": "3"}

    monkeypatch.setenv("BYZER_SPARK_MASTER", "spark://env:7077")
    monkeypatch.setenv("BYZER_ALLOW_SHELL", "false")
    monkeypatch.setenv("BYZER_JARS_DIR", "/a:/b")
    from_env = EngineConfig.load(str(toml))
    assert (from_env.spark_master, from_env.allow_shell, from_env.jars_dirs) == (
        "spark://env:7077",
        False,
        ["/a", "/b"],
    )
    assert from_env.data_root == "/tmp/from-file"

    explicit = EngineConfig.load(str(toml), spark_master="local[2]", allow_shell=None)
    assert explicit.spark_master == "local[2]" and explicit.allow_shell is False


def test_config_file_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    toml = tmp_path / "engine.toml"
    toml.write_text("[engine]\nallow_any_path = false\n")
    monkeypatch.setenv("BYZER_CONFIG", str(toml))
    assert EngineConfig.load().allow_any_path is False


def test_bad_settings_are_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ByzerError, match="unknown engine setting"):
        EngineConfig.load(sparkmaster="x")
    bad = tmp_path / "bad.toml"
    bad.write_text("nonsense = 1\n")
    with pytest.raises(ByzerError, match="unknown setting"):
        EngineConfig.load(str(bad))
    monkeypatch.setenv("BYZER_ALLOW_SHELL", "perhaps")
    with pytest.raises(ByzerError, match="true or false"):
        EngineConfig.load()


def test_connect_and_local_masters() -> None:
    assert EngineConfig(spark_master="sc://host:15002").is_connect
    assert EngineConfig(spark_master="local[2]").is_local
    assert not EngineConfig(spark_master="spark://h:7077").is_local
