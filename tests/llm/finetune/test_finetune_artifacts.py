"""Files a job leaves next to its adapter and the rows it is shown as (no model, no Ray)."""

from __future__ import annotations

from pathlib import Path

from byzer_engine.llm.finetune import artifacts, tables


def test_base_reference_round_trip(tmp_path: Path) -> None:
    artifacts.write_base_reference(str(tmp_path), "/models/smol", "smol.gguf")
    assert artifacts.read_base_reference(str(tmp_path)) == ("/models/smol", "smol.gguf")
    assert artifacts.read_base_reference(str(tmp_path / "missing")) is None


def test_loss_plot_is_a_png(tmp_path: Path) -> None:
    target = tmp_path / "loss.png"
    log = [{"step": step, "loss": 2.0 / step} for step in range(1, 11)]
    assert artifacts.plot_loss(str(target), log, "job")
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not artifacts.plot_loss(str(tmp_path / "none.png"), [], "job")


def test_remove_if_empty(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    artifacts.remove_if_empty(str(tmp_path / "empty"))
    artifacts.remove_if_empty(str(tmp_path / "full"))
    assert not (tmp_path / "empty").exists() and (tmp_path / "full" / "x").exists()


def test_rows() -> None:
    record = {
        "name": "j",
        "status": "finished",
        "step": 24,
        "loss": 0.01,
        "elapsed_s": 31.5,
        "start_time": 10.0,
    }
    summary = tables.summary_row(record)
    assert summary["steps"] == 24 and summary["final_loss"] == 0.01 and summary["adapter_path"] is None
    assert [name for name, _ in tables.SUMMARY_COLUMNS] == list(summary)
    row = tables.job_row(record)
    assert row["status"] == "finished" and row["startTime"] == 10000 and row["jobType"] == "finetune"
    assert row["name"] == row["jobName"] == "j" and row["progress"] is None
    assert tables.log_rows([{"step": 1, "loss": 2.5}]) == [
        {"step": 1, "epoch": None, "loss": 2.5, "learning_rate": None, "grad_norm": None}
    ]
