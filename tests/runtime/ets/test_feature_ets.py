"""The feature ETs: StandardScaler, NormalizeInPlace, ScalerInPlace and Discretizer, train → register."""

from __future__ import annotations

import math

import pytest
from ml_data import run

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime import Engine

OWNER = "feature_ets"
TABLE = """select cast(id as double) as a, cast(id * 2 + 1 as double) as b,
                  array(cast(id as double), cast(id * 2 + 1 as double)) as ab,
                  vec_dense(array(cast(id as double), cast(id * 2 + 1 as double))) as features
           from range(1, 11) as nums;"""


@pytest.fixture(scope="module")
def data(engine: Engine) -> Engine:
    run(engine, OWNER, TABLE)
    return engine


def test_standard_scaler(data: Engine) -> None:
    out = run(
        data, OWNER, 'train nums as StandardScaler.`feat/std` where inputCol="features" and withMean="true";'
    )
    assert out == []
    run(data, OWNER, "register StandardScaler.`feat/std` as std_fn;")
    rows = run(data, OWNER, "select a, vec_array(std_fn(features)) as s from nums as scaled;")
    sd = math.sqrt(sum((x - 5.5) ** 2 for x in range(1, 11)) / 9)
    for row in rows:
        assert row["s"][0] == pytest.approx((row["a"] - 5.5) / sd)


@pytest.mark.parametrize("columns", ["a,b", "ab"])
def test_normalize_in_place(data: Engine, columns: str) -> None:
    path = f"feat/norm_{columns.replace(',', '')}"
    assert run(data, OWNER, f'train nums as NormalizeInPlace.`{path}` where inputCols="{columns}";') == []
    written = run(data, OWNER, f"load parquet.`{path}/data` as normed;")
    assert len(written) == 10
    run(data, OWNER, f"register NormalizeInPlace.`{path}` as norm_fn_{columns.replace(',', '')};")
    rows = run(data, OWNER, f"select norm_fn_{columns.replace(',', '')}(array(a, b)) as n from nums as o;")
    values = [r["n"][0] for r in rows]
    assert sum(values) == pytest.approx(0.0, abs=1e-9)
    first = written[0]["a"] if columns == "a,b" else written[0]["ab"][0]
    assert first == pytest.approx(rows[0]["n"][0])
    # p-norm: each row sums to one (non-negative values)
    run(data, OWNER, 'train nums as NormalizeInPlace.`feat/l1` where inputCols="a,b" and method="p-norm";')
    run(data, OWNER, "register NormalizeInPlace.`feat/l1` as l1_fn;")
    row = run(data, OWNER, "select l1_fn(array(1.0, 3.0)) as n as o;")[0]
    assert row["n"] == [0.25, 0.75]


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("log2", math.log2(8.0)),
        ("logn", math.log1p(8.0)),
        ("log10", math.log10(8.0)),
        ("sqrt", math.sqrt(8.0)),
        ("abs", 8.0),
    ],
)
def test_scaler_in_place(data: Engine, method: str, expected: float) -> None:
    path = f"feat/scale_{method}"
    run(
        data, OWNER, f'train nums as ScalerInPlace.`{path}` where inputCols="a,b" and scaleMethod="{method}";'
    )
    written = {r["a"] for r in run(data, OWNER, f"load parquet.`{path}/data` as s;")}
    run(data, OWNER, f"register ScalerInPlace.`{path}` as scale_{method};")
    row = run(data, OWNER, f"select scale_{method}(array(8.0, 1.0)) as v as o;")[0]
    assert row["v"][0] == pytest.approx(expected)
    assert any(value == pytest.approx(expected) for value in written)


def test_scaler_min_max(data: Engine) -> None:
    run(
        data,
        OWNER,
        'train nums as ScalerInPlace.`feat/mm` where inputCols="a" and scaleMethod="min-max" and max="10";',
    )
    written = sorted(r["a"] for r in run(data, OWNER, "load parquet.`feat/mm/data` as s;"))
    assert written[0] == 0.0 and written[-1] == 10.0
    run(data, OWNER, "register ScalerInPlace.`feat/mm` as mm;")
    assert run(data, OWNER, "select mm(array(5.5)) as v as o;")[0]["v"] == [5.0]


def test_discretizer(data: Engine) -> None:
    out = run(
        data,
        OWNER,
        """train nums as Discretizer.`feat/disc` where method="bucketizer" and inputCol="a"
           and outputCol="bucket" and splits="-inf,3.0,7.0,inf";""",
    )
    assert {r["a"]: r["bucket"] for r in out}[3.0] == 1.0
    run(data, OWNER, "register Discretizer.`feat/disc` as disc;")
    assert run(data, OWNER, "select disc(array(1.0, 3.0, 9.0)) as b as o;")[0]["b"] == [0.0, 1.0, 2.0]
    quantile = run(
        data,
        OWNER,
        'train nums as Discretizer.`feat/q` where method="quantile" and inputCol="a" and numBuckets="2";',
    )
    assert {r["bucket"] for r in quantile} == {0.0, 1.0}
    with pytest.raises(ByzerError, match="not fitParam"):
        run(data, OWNER, 'train nums as Discretizer.`feat/x` where inputCol="a" and fitParam.0.splits="1";')
