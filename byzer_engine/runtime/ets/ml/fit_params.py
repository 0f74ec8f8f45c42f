"""``fitParam.<group>.<param>="value"`` groups, and turning their text into MLlib parameter values.

A value converts by the type of the MLlib setter it feeds: numbers (``inf``/``-inf`` too), booleans,
strings, arrays as comma lists, nested arrays as JSON. Names the estimator does not have are ignored.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from byzer_engine.lang.errors import ByzerError

if TYPE_CHECKING:
    from pyspark.ml.param import Param, Params

PREFIX = "fitParam."
_KEY = re.compile(r"^fitParam\.(\d+)\.(.+)$")


def groups(options: dict[str, str]) -> dict[int, dict[str, str]]:
    """The parameter groups in ascending order; none given = group 0 with MLlib's defaults."""
    found: dict[int, dict[str, str]] = {}
    for key, value in options.items():
        match = _KEY.match(key)
        if match:
            found.setdefault(int(match.group(1)), {})[match.group(2)] = value
        elif key.startswith(PREFIX):
            raise ByzerError(f"bad parameter {key!r}: expected fitParam.<group number>.<name>")
    return dict(sorted(found.items())) if found else {0: {}}


def _number(text: str) -> float:
    lowered = text.strip().lower()
    if lowered in ("inf", "+inf", "infinity"):
        return float("inf")
    if lowered in ("-inf", "-infinity"):
        return float("-inf")
    return float(lowered)


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def convert(param: Param[Any], text: str) -> Any:
    """``text`` as the value MLlib's ``param`` takes, chosen by its type converter."""
    from pyspark.ml.param import TypeConverters as T

    converter = param.typeConverter
    if converter is T.toInt:
        return int(_number(text))
    if converter is T.toFloat:
        return _number(text)
    if converter is T.toBoolean:
        lowered = text.strip().lower()
        if lowered not in ("true", "false"):
            raise ValueError(f"expected true or false, not {text!r}")
        return lowered == "true"
    if converter is T.toString:
        return text
    if converter is T.toListInt:
        return [int(_number(x)) for x in _split(text)]
    if converter is T.toListFloat:
        return [_number(x) for x in _split(text)]
    if converter is T.toListString:
        return _split(text)
    if converter is T.toListListFloat:
        return [[float(x) for x in row] for row in json.loads(text)]
    if converter is T.toVector:
        from pyspark.ml.linalg import Vectors

        return Vectors.dense([_number(x) for x in _split(text.strip("[]"))])
    if converter is T.toMatrix:
        from pyspark.ml.linalg import Matrices

        rows = json.loads(text)
        return Matrices.dense(
            len(rows), len(rows[0]), [float(r[j]) for j in range(len(rows[0])) for r in rows]
        )
    # An identity converter: numbers as numbers, else the text.
    try:
        return _number(text)
    except ValueError:
        return text


def apply(estimator: Params, params: dict[str, str]) -> dict[str, Any]:
    """Sets ``params`` on ``estimator`` (unknown names skipped); returns what was set."""
    applied: dict[str, Any] = {}
    for name, text in params.items():
        if not estimator.hasParam(name):
            continue
        param = estimator.getParam(name)
        try:
            value = convert(param, text)
        except (ValueError, TypeError, json.JSONDecodeError) as exc:
            raise ByzerError(f"fitParam {name}={text!r}: {exc}") from None
        estimator.set(param, value)
        applied[name] = value
    return applied
