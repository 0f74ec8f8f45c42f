"""Delta tables written by the engine are ordinary Delta tables: ``deltalake`` reads them directly."""

from __future__ import annotations

from pathlib import Path

from deltalake import DeltaTable

from byzer_engine.runtime import Engine


def test_delta_written_here_is_read_by_deltalake(engine: Engine) -> None:
    owner = "delta_interop"
    engine.run_script(
        "select id, cast(id % 2 as string) as part from range(0, 10) as t;\n"
        "save overwrite t as delta.`tables/interop` partitionBy part;\n"
        "select id, cast(id % 2 as string) as part from range(10, 12) as more;\n"
        "save append more as delta.`tables/interop`;",
        owner=owner,
    )
    home = Path(engine.config.data_root) / owner
    table = DeltaTable(str(home / "tables" / "interop"))
    assert table.version() == 1
    assert list(table.metadata().partition_columns) == ["part"]
    rows = sorted((r["id"], r["part"]) for r in table.to_pyarrow_table().to_pylist())
    assert rows == [(i, str(i % 2)) for i in range(12)]
