"""train → predict → register for the four classifier ETs on a small real table."""

from __future__ import annotations

import json

import pytest
from ml_data import CLASSES, as_dict, run

from byzer_engine.runtime import Engine

OWNER = "ml_classifiers"

# ET, group 0 params, group 1 params (small and fast)
CASES = [
    ("RandomForest", 'fitParam.0.numTrees="4" and fitParam.0.maxDepth="3"', 'fitParam.1.numTrees="2"'),
    ("LogisticRegression", 'fitParam.0.maxIter="20"', 'fitParam.1.maxIter="5" and fitParam.1.regParam="0.1"'),
    ("NaiveBayes", 'fitParam.0.smoothing="1.0"', 'fitParam.1.smoothing="0.5"'),
    ("GBTClassifier", 'fitParam.0.maxIter="4" and fitParam.0.maxDepth="2"', 'fitParam.1.maxIter="2"'),
]


@pytest.fixture(scope="module")
def data(engine: Engine) -> Engine:
    run(engine, OWNER, CLASSES)
    return engine


@pytest.mark.parametrize(("et", "group0", "group1"), CASES, ids=[c[0] for c in CASES])
def test_train_predict_register(data: Engine, et: str, group0: str, group1: str) -> None:
    path = f"models/{et.lower()}"
    train = f'train data as {et}.`{path}` where evaluateTable="data" and {group0} and {group1};'
    first = as_dict(run(data, OWNER, train))
    # one block per parameter group, with Byzer's row names
    assert len(first["---------------"]) == 2
    assert first["modelPath"] == ["/_model_0/model/0", "/_model_0/model/1"]
    assert first["algIndex"] == ["0", "1"]
    assert first["status"] == ["success", "success"], first["message"]
    assert all(a.startswith("org.apache.spark.ml.classification.") for a in first["alg"])
    for text in first["metrics"]:
        names = [line.split(":")[0] for line in text.splitlines()]
        assert names == ["f1", "weightedPrecision", "weightedRecall", "accuracy"]
    assert first["trainParams"][0].startswith("Map(") and "->" in first["trainParams"][0]

    second = as_dict(run(data, OWNER, train))
    assert second["modelPath"][0] == "/_model_1/model/0"

    scored = run(data, OWNER, f"predict data as {et}.`{path}` as scored;")
    assert len(scored) == 200
    assert {"rawPrediction", "probability", "prediction"} <= set(scored[0])
    accuracy = sum(r["prediction"] == r["label"] for r in scored) / len(scored)
    assert accuracy > 0.9

    run(data, OWNER, f"register {et}.`{path}` as {et.lower()}_fn;")
    rows = run(
        data,
        OWNER,
        f"""select prediction, vec_argmax({et.lower()}_fn(features)) as fn_class,
                   vec_array(probability) as p, vec_array({et.lower()}_fn(features)) as fn_p,
                   size({et.lower()}_fn_raw(features)) as raw_parts
            from scored as checked;""",
    )
    for row in rows:
        assert row["fn_class"] == int(row["prediction"])
        assert row["fn_p"] == pytest.approx(row["p"], abs=1e-6)
        assert row["raw_parts"] == 2


def test_model_version_and_alg_index(data: Engine) -> None:
    path = "models/lr_versions"
    script = f"""train data as LogisticRegression.`{path}` where keepVersion="true"
        and fitParam.0.maxIter="1" and fitParam.1.maxIter="30" and evaluateTable="data";"""
    run(data, OWNER, script)
    run(data, OWNER, script)
    explain = as_dict(
        run(data, OWNER, f'load modelExplain.`{path}` where alg="LogisticRegression" and index="0" as e;')
    )
    assert explain["numClasses"] == ["2"]
    assert explain["fitParam.[group].maxIter"] in (["1"], ["30"])
    pinned = as_dict(
        run(
            data,
            OWNER,
            f'load modelExplain.`{path}` where alg="LogisticRegression" and index="1" and algIndex="0" as e;',
        )
    )
    assert pinned["fitParam.[group].maxIter"] == ["1"]
    # predict with an explicit version and group
    rows = run(
        data,
        OWNER,
        f'predict data as LogisticRegression.`{path}` where modelVersion="0" and algIndex="1" as p;',
    )
    assert len(rows) == 200


def test_keep_version_false_overwrites(data: Engine, engine_data_root: object) -> None:
    path = "models/nb_flat"
    script = f'train data as NaiveBayes.`{path}` where keepVersion="false";'
    run(data, OWNER, script)
    out = as_dict(run(data, OWNER, script))
    assert out["modelPath"] == ["/model/0"]
    assert out["metrics"] == [""]  # no evaluateTable: no metrics
    assert len(run(data, OWNER, f"predict data as NaiveBayes.`{path}` as p;")) == 200


def test_failed_group_does_not_stop_others(data: Engine) -> None:
    out = as_dict(
        run(
            data,
            OWNER,
            """train data as RandomForest.`models/rf_fail` where fitParam.0.maxDepth="-3"
               and fitParam.1.maxDepth="2" and fitParam.1.numTrees="2" and evaluateTable="data";""",
        )
    )
    assert out["status"] == ["fail", "success"]
    assert out["message"][0]
    scored = run(data, OWNER, "predict data as RandomForest.`models/rf_fail` as p;")
    assert len(scored) == 200


def test_model_params_lists_mllib_params(data: Engine) -> None:
    rows = run(data, OWNER, "load modelParams.`RandomForest` as params;")
    by_name = {r["param"]: r for r in rows}
    assert "keepVersion" in by_name
    depth = by_name["fitParam.[group].maxDepth"]
    assert "(default: 5)" in depth["value"]
    extra = json.loads(depth["extra"])
    assert extra["name"] == "maxDepth" and extra["tpe"] == "int"
    assert extra["extra"]["options"]["defaultValue"] == "5"


def test_model_example_and_bad_path(data: Engine) -> None:
    example = run(data, OWNER, "load modelExample.`RandomForest` as ex;")
    assert "train" in example[0]["example"]
    from byzer_engine.lang.errors import ByzerError

    with pytest.raises(ByzerError, match="is not a validate model path"):
        run(data, OWNER, "predict data as RandomForest.`models/nothing_here` as p;")
