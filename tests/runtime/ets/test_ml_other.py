"""train → predict → register for the regressors, KMeans, LDA, ALSInPlace and AutoML, and the two
evaluation ETs (PredictionEva, ConfusionMatrix), on small real tables."""

from __future__ import annotations

import pytest
from ml_data import BLOBS, CLASSES, LINE, as_dict, run

from byzer_engine.runtime import Engine

OWNER = "ml_other"


@pytest.fixture(scope="module")
def data(engine: Engine) -> Engine:
    run(engine, OWNER, CLASSES + LINE + BLOBS)
    return engine


@pytest.mark.parametrize(
    ("et", "params"),
    [
        ("LinearRegression", 'fitParam.0.maxIter="50"'),
        ("GBTRegressor", 'fitParam.0.maxIter="5" and fitParam.0.maxDepth="3"'),
    ],
)
def test_regressors(data: Engine, et: str, params: str) -> None:
    path = f"models/{et.lower()}"
    out = as_dict(run(data, OWNER, f'train line as {et}.`{path}` where evaluateTable="line" and {params};'))
    assert out["status"] == ["success"], out["message"]
    names = [line.split(":")[0] for line in out["metrics"][0].splitlines()]
    assert names == ["rmse", "mse", "r2", "mae"]
    r2 = float(out["metrics"][0].splitlines()[2].split(":")[1])
    assert r2 > 0.9
    scored = run(data, OWNER, f"predict line as {et}.`{path}` as scored;")
    assert "prediction" in scored[0] and "probability" not in scored[0]
    run(data, OWNER, f"register {et}.`{path}` as {et.lower()}_fn;")
    rows = run(data, OWNER, f"select prediction, {et.lower()}_fn(features) as fn from scored as checked;")
    for row in rows:
        assert row["fn"] == pytest.approx(row["prediction"], rel=1e-9, abs=1e-9)
    explain = as_dict(run(data, OWNER, f'load modelExplain.`{path}` where alg="{et}" as e;'))
    assert "uid" in explain


def test_kmeans(data: Engine) -> None:
    out = as_dict(
        run(
            data, OWNER, 'train blobs as KMeans.`models/km` where fitParam.0.k="3" and evaluateTable="blobs";'
        )
    )
    assert out["status"] == ["success"], out["message"]
    assert out["alg"] == ["org.apache.spark.ml.clustering.BisectingKMeans"]
    assert out["metrics"][0].startswith("silhouette:")
    scored = run(data, OWNER, "predict blobs as KMeans.`models/km` as clustered;")
    assert len({r["prediction"] for r in scored}) == 3
    run(data, OWNER, "register KMeans.`models/km` as km_fn;")
    rows = run(data, OWNER, "select prediction, km_fn(features) as fn from clustered as checked;")
    assert all(r["fn"] == r["prediction"] for r in rows)
    # Between the blobs too, where the walk down the bisecting tree and the nearest leaf center part.
    grid = run(
        data,
        OWNER,
        "select vec_dense(array(cast(a as double) - 5.0, cast(b as double) - 20.0)) as features "
        "from range(0, 31) x lateral view explode(sequence(0, 25)) g as b "
        "lateral view explode(array(x.id)) i as a as grid;"
        "predict grid as KMeans.`models/km` as grid_scored;"
        "select prediction, km_fn(features) as fn from grid_scored as grid_checked;",
    )
    assert len(grid) == 31 * 26
    assert [r["fn"] for r in grid] == [r["prediction"] for r in grid]


def test_lda(data: Engine) -> None:
    docs = """select vec_dense(array(cast(id % 3 = 0 as double) * 5.0, cast(id % 3 = 1 as double) * 4.0,
        cast(id % 3 = 2 as double) * 6.0, 1.0)) as features from range(0, 60) as docs;"""
    run(data, OWNER, docs)
    out = as_dict(
        run(data, OWNER, 'train docs as LDA.`models/lda` where fitParam.0.k="3" and fitParam.0.maxIter="5";')
    )
    assert out["status"] == ["success"], out["message"]
    scored = run(data, OWNER, "predict docs as LDA.`models/lda` as topics;")
    assert "topicDistribution" in scored[0]
    registered = data.run_script("register LDA.`models/lda` as lda;", owner=OWNER)
    assert [f["name"] for f in registered.schema["fields"]] == ["name", "value"]
    assert as_dict(registered.rows)["vocabSize"] == ["4"]  # register's table: the model explanation
    udf = data.run_script(
        "register ScriptUDF.`` as plus_one where code='''def apply(a: Int) = a + 1''';", owner=OWNER
    )
    assert udf.rows == [] and [f["name"] for f in udf.schema["fields"]] == ["key", "value"]
    row = run(data, OWNER, "select vec_array(lda(0)) as weights, lda_topic(0, 2) as top as t;")[0]
    assert len(row["weights"]) == 3
    assert len(row["top"]) == 2 and {"termIndex", "weight"} <= set(row["top"][0])
    # fn_doc is MLlib's own seeded inference: exactly predict's topicDistribution, row by row.
    docs_scored = run(
        data,
        OWNER,
        "select vec_array(topicDistribution) as predicted, vec_array(lda_doc(features)) as fn from topics as d;",
    )
    assert len(docs_scored) == 60 and all(r["fn"] == r["predicted"] for r in docs_scored)
    assert abs(sum(docs_scored[0]["fn"]) - 1.0) < 1e-9
    explain = as_dict(run(data, OWNER, 'load modelExplain.`models/lda` where alg="LDA" as e;'))
    assert explain["vocabSize"] == ["4"]


def test_als(data: Engine) -> None:
    ratings = """select cast(id % 10 as int) as user, cast(id % 7 as int) as item,
        cast((id % 10 + id % 7) % 5 + 1 as float) as rating from range(0, 140) as ratings;"""
    run(data, OWNER, ratings)
    out = as_dict(
        run(
            data,
            OWNER,
            """train ratings as ALSInPlace.`models/als` where evaluateTable="ratings"
               and fitParam.0.maxIter="3" and fitParam.0.rank="3" and userRec="2";""",
        )
    )
    assert out["status"] == ["success"], out["message"]
    rmse = float(out["metrics"][0].split(":")[1])
    assert rmse < 0  # stored negated
    recs = run(data, OWNER, "load parquet.`models/als/data/userRec` as recs;")
    assert len(recs) == 10 and len(recs[0]["recommendations"]) == 2
    assert run(data, OWNER, "predict ratings as ALSInPlace.`models/als` as p;") == []


def test_automl(data: Engine) -> None:
    out = run(
        data,
        OWNER,
        """train data as AutoML.`models/auto` where algos="LogisticRegression,NaiveBayes"
           and evaluateTable="data" and fitParam.0.maxIter="10";""",
    )
    indexes = as_dict(out)["algIndex"]
    assert sorted(indexes) == ["LogisticRegression.0", "NaiveBayes.0"]
    f1s = [float(t.splitlines()[0].split(":")[1]) for t in as_dict(out)["metrics"]]
    assert f1s == sorted(f1s, reverse=True)  # best first
    scored = run(data, OWNER, 'predict data as AutoML.`models/auto` where algIndex="NaiveBayes.0" as s;')
    assert "probability" in scored[0]
    run(data, OWNER, "register AutoML.`models/auto` as auto_fn;")
    rows = run(data, OWNER, "select vec_argmax(auto_fn(features)) as c, label from data as checked;")
    assert sum(r["c"] == r["label"] for r in rows) / len(rows) > 0.9


def test_prediction_eva_and_confusion_matrix(data: Engine) -> None:
    run(
        data,
        OWNER,
        """select label, case when id % 10 = 0 then 1.0 - label else label end as prediction,
           case when id % 10 = 0 then 0.4 else 0.2 + 0.6 * label end as prob from
           (select id, cast(id % 2 as double) as label from range(0, 100)) as pred;""",
    )
    metrics = {r["metrics"]: r["value"] for r in run(data, OWNER, "run pred as PredictionEva.`` as m;")}
    assert list(metrics) == ["threshold", "precision", "recall", "f1", "auc", "prc"]
    assert metrics["threshold"] == 0.5 and metrics["precision"] == 1.0
    # 10 negatives scored 0.4 (still below the threshold): every positive is found, none is wrong
    assert metrics["recall"] == 1.0 and metrics["auc"] == 1.0

    empty = run(
        data,
        OWNER,
        'train pred as ConfusionMatrix.`eval/cm` where actualCol="label" and predictCol="prediction";',
    )
    assert empty == []
    matrix = run(data, OWNER, "load parquet.`eval/cm/data` as m;")
    assert sorted(matrix, key=lambda r: r["act\\prt"]) == [
        {"act\\prt": "0.0", "0.0": "40", "1.0": "10"},
        {"act\\prt": "1.0", "0.0": "0", "1.0": "50"},
    ]
    detail = run(data, OWNER, "load parquet.`eval/cm/detail` as d;")
    acc = [r for r in detail if r["lable"] == "1.0" and r["name"] == "ACC"]
    assert acc[0]["value"] == pytest.approx(0.9)
