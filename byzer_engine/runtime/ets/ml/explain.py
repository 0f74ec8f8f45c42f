"""What ``load modelExplain`` and ``load modelParams`` show about an algorithm ET and its models."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from byzer_engine.runtime.ets.ml.base import AlgorithmET


def explain(
    spark: SparkSession, et: AlgorithmET, path: str, options: dict[str, str]
) -> list[tuple[str, str]]:
    """The model's own rows, then ``fitParam.[group].<p>`` for each parameter set on it."""
    wanted = dict(options)
    if options.get("index") not in (None, ""):
        wanted["modelVersion"] = options["index"]
    trainer, chosen = et.chosen(spark, path, wanted)
    model: Any = trainer.load_model(chosen.model_path)
    rows = trainer.explain_rows(model)
    for param in model.params:
        if model.isSet(param):
            rows.append((f"fitParam.[group].{param.name}", _text(model.getOrDefault(param))))
    return rows


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def _value_type(param: Any) -> str:
    from pyspark.ml.param import TypeConverters as T

    kinds = {
        T.toInt: "int",
        T.toFloat: "double",
        T.toBoolean: "boolean",
        T.toString: "string",
        T.toListInt: "array[int]",
        T.toListFloat: "array[double]",
        T.toListString: "array[string]",
        T.toListListFloat: "array[array[double]]",
        T.toVector: "vector",
        T.toMatrix: "matrix",
    }
    return kinds.get(param.typeConverter, "string")


def mllib_param_rows(et: AlgorithmET) -> list[dict[str, Any]]:
    """A ``fitParam.[group].<name>`` row per MLlib parameter of the ET's estimator."""
    estimator: Any = et.new_estimator({})
    rows: list[dict[str, Any]] = []
    for param in estimator.params:
        default = estimator.getOrDefault(param) if estimator.hasDefault(param) else None
        value_type = _value_type(param)
        extra = {
            "name": param.name,
            "tpe": value_type,
            "value": _text(default) if default is not None else "",
            "extra": {
                "doc": param.doc,
                "label": "",
                "options": {
                    "valueType": value_type,
                    "required": "false",
                    "defaultValue": _text(default) if default is not None else "",
                    "currentValue": _text(default) if default is not None else "",
                    "derivedType": "NONE",
                },
            },
        }
        rows.append(
            {
                "param": f"fitParam.[group].{param.name}",
                "description": param.doc,
                "value": estimator.explainParam(param),
                "extra": json.dumps(extra),
            }
        )
    return rows
