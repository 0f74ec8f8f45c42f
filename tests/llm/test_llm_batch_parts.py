"""The pieces of ``LLMBatch`` that need no Spark: options and the chunk store's commits."""

from __future__ import annotations

from pathlib import Path

import pytest

from byzer_engine.lang.errors import ByzerError
from byzer_engine.llm.batch.options import DEFAULT_CHUNK_ROWS, parse_options
from byzer_engine.llm.batch.store import ChunkStore, local_folder


def test_options_have_defaults_and_collect_request_fields() -> None:
    opts = parse_options(
        {"udfName": "chat", "inputCol": "q", "param.max_length": "8", "param.cache": "false"}
    )
    assert (opts.output_col, opts.row_id_col, opts.chunk_rows) == ("answer", "row_id", DEFAULT_CHUNK_ROWS)
    assert opts.params == (("cache", "false"), ("max_length", "8"))
    assert opts.detached is False


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"inputCol": "q"}, "needs the option udfName"),
        ({"udfName": "chat"}, "needs the option inputCol"),
        ({"udfName": "chat", "inputCol": "q; drop"}, "must be a plain name"),
        ({"udfName": "chat", "inputCol": "q", "chunkRows": "0"}, "chunkRows must be a positive"),
        ({"udfName": "chat", "inputCol": "q", "chunkRows": "ten"}, "chunkRows must be a positive"),
        ({"udfName": "chat", "inputCol": "q", "outputCol": "row_id"}, "must differ"),
        ({"udfName": "chat", "inputCol": "q", "detached": "maybe"}, "detached"),
    ],
)
def test_bad_options_are_clear_errors(options: dict[str, str], message: str) -> None:
    with pytest.raises(ByzerError, match=message):
        parse_options(options)


def test_a_chunk_is_committed_by_renaming_its_one_file(tmp_path: Path) -> None:
    store = ChunkStore(tmp_path / "out")
    written = store.fresh_tmp()
    written.mkdir()
    (written / "part-00000-x.snappy.parquet").write_bytes(b"data")
    (written / "_SUCCESS").write_bytes(b"")
    assert store.committed() == set()
    store.commit_chunk(3, written)
    assert store.committed() == {3}
    assert store.chunk_path(3).read_bytes() == b"data"
    assert not written.exists()


def test_a_chunk_written_as_several_files_is_refused(tmp_path: Path) -> None:
    store = ChunkStore(tmp_path / "out")
    written = store.fresh_tmp()
    written.mkdir()
    for n in range(2):
        (written / f"part-0000{n}.parquet").write_bytes(b"x")
    with pytest.raises(ByzerError, match="written as 2 files"):
        store.commit_chunk(0, written)
    assert store.committed() == set()


def test_the_manifest_is_replaced_whole(tmp_path: Path) -> None:
    store = ChunkStore(tmp_path / "out")
    assert store.manifest() is None
    store.write_manifest({"rows": 5})
    store.write_manifest({"rows": 6})
    assert store.manifest() == {"rows": 6, "version": 1}
    assert [p.name for p in store.root.iterdir()] == ["_manifest.json"]


def test_a_broken_manifest_is_a_clear_error(tmp_path: Path) -> None:
    store = ChunkStore(tmp_path)
    (tmp_path / "_manifest.json").write_text("{not json")
    with pytest.raises(ByzerError, match=r"manifest .* is unreadable"):
        store.manifest()


def test_only_local_folders_are_accepted(tmp_path: Path) -> None:
    assert local_folder(f"file:{tmp_path}") == tmp_path
    assert local_folder(str(tmp_path)) == tmp_path
    with pytest.raises(ByzerError, match="on another file system"):
        local_folder("hdfs://nn/out")


def test_rows_done_counts_a_short_last_chunk(tmp_path: Path) -> None:
    from byzer_engine.llm.batch.runner import BatchPlan, rows_done

    store = ChunkStore(tmp_path)
    opts = parse_options({"udfName": "chat", "inputCol": "q", "chunkRows": "4"})
    plan = BatchPlan(store, rows=10, chunks=3, resumed_from=0)
    assert rows_done(plan, opts) == 0
    store.chunk_path(0).write_bytes(b"x")
    assert rows_done(plan, opts) == 4
    store.chunk_path(2).write_bytes(b"x")
    assert rows_done(plan, opts) == 6


def test_a_progress_line_shows_rows_rate_and_eta() -> None:
    from byzer_engine.llm.batch.progress import BatchProgress

    progress = BatchProgress("out", "nobody", "job", rows_total=10, rows_at_start=2)
    progress.started -= 4.0  # four seconds in: 4 rows done in this run, one row a second
    line = progress.line(6)
    assert line.startswith("LLMBatch out: 6/10 rows, ")
    assert line.endswith("ETA 0:00:04")
