"""Python scorers for ``register``: a trained MLlib model as plain functions of one vector.

SQL functions run in Python workers, which cannot reach the JVM model, so each scorer rebuilds the
model's arithmetic from its parameters (linear models, naive Bayes) or from the tree nodes MLlib
saved (``PATH/model/<g>/data``). They return what MLlib's ``transform`` does for one row.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.ml.linalg import Vector
    from pyspark.sql import SparkSession
    from pyspark.sql.types import DataType

# (name suffix, function, return type)
ScoringFunction = tuple[str, Callable[..., Any], "DataType"]


def vector_type() -> DataType:
    from pyspark.ml.linalg import VectorUDT

    return VectorUDT()


def double_type() -> DataType:
    from pyspark.sql.types import DoubleType

    return DoubleType()


def _dense(values: list[float]) -> Vector:
    from pyspark.ml.linalg import Vectors

    return Vectors.dense(values)


def _array(v: Any) -> list[float]:
    return [float(x) for x in v.toArray()]


def softmax(raw: list[float]) -> list[float]:
    top = max(raw)
    exps = [math.exp(x - top) for x in raw]
    total = sum(exps)
    return [x / total for x in exps]


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def classifier_functions(
    raw_and_probability: Callable[[Any], tuple[list[float], list[float]]],
) -> list[ScoringFunction]:
    """``fn(vector)`` = the probability vector; ``fn_raw(vector)`` = [rawPrediction, probability]."""
    from pyspark.sql.types import ArrayType

    def probability(v: Any) -> Any:
        return None if v is None else _dense(raw_and_probability(v)[1])

    def raw(v: Any) -> Any:
        if v is None:
            return None
        raw_values, prob = raw_and_probability(v)
        return [_dense(raw_values), _dense(prob)]

    return [("", probability, vector_type()), ("_raw", raw, ArrayType(vector_type()))]


def value_function(predict: Callable[[Any], float]) -> list[ScoringFunction]:
    def fn(v: Any) -> Any:
        return None if v is None else float(predict(v))

    return [("", fn, double_type())]


# -- linear models -----------------------------------------------------------------------------------
def logistic(model: Any) -> Callable[[Any], tuple[list[float], list[float]]]:
    coefficients = _matrix_rows(model.coefficientMatrix)
    intercepts = _array(model.interceptVector)
    binary = model.numClasses == 2 and len(coefficients) == 1

    def score(v: Any) -> tuple[list[float], list[float]]:
        x = _array(v)
        margins = [
            sum(c * xi for c, xi in zip(row, x, strict=False)) + b
            for row, b in zip(coefficients, intercepts, strict=True)
        ]
        if binary:
            m = margins[0]
            return [-m, m], [1.0 - sigmoid(m), sigmoid(m)]
        return margins, softmax(margins)

    return score


def linear(model: Any) -> Callable[[Any], float]:
    coefficients = _array(model.coefficients)
    intercept = float(model.intercept)

    def predict(v: Any) -> float:
        return sum(c * xi for c, xi in zip(coefficients, _array(v), strict=False)) + intercept

    return predict


def naive_bayes(model: Any) -> Callable[[Any], tuple[list[float], list[float]]]:
    pi = _array(model.pi)
    theta = _matrix_rows(model.theta)
    kind = model.getModelType()
    if kind == "multinomial":

        def raw(x: list[float]) -> list[float]:
            return [
                p + sum(t * xi for t, xi in zip(row, x, strict=False))
                for p, row in zip(pi, theta, strict=True)
            ]

    elif kind == "bernoulli":
        neg = [[math.log1p(-math.exp(t)) for t in row] for row in theta]

        def raw(x: list[float]) -> list[float]:
            return [
                p + sum((t - n) * xi for t, n, xi in zip(row, nrow, x, strict=False)) + sum(nrow)
                for p, row, nrow in zip(pi, theta, neg, strict=True)
            ]

    elif kind == "gaussian":
        sigma = _matrix_rows(model.sigma)

        def raw(x: list[float]) -> list[float]:
            out = []
            for p, mean, var in zip(pi, theta, sigma, strict=True):
                total = p
                for m, s, xi in zip(mean, var, x, strict=False):
                    total -= 0.5 * math.log(2 * math.pi * s) + (xi - m) ** 2 / (2 * s)
                out.append(total)
            return out

    else:
        from byzer_engine.lang.errors import ByzerError

        raise ByzerError(f"NaiveBayes modelType {kind} cannot be registered as a function")

    def score(v: Any) -> tuple[list[float], list[float]]:
        values = raw(_array(v))
        return values, softmax(values)

    return score


def bisecting_tree(spark: SparkSession, model_path: str) -> Callable[[Any], int]:
    """MLlib's own BisectingKMeans prediction: from the root, the nearer child at every level, down to
    a leaf (which is not always the nearest leaf center). Read from what MLlib saved under
    ``model_path/data``: ``metadata`` (root id, distance measure) and ``data`` (the nodes)."""
    import json

    saved = model_path.rstrip("/") + "/data"
    first = spark.read.text(saved + "/metadata").first()
    if first is None:
        from byzer_engine.lang.errors import ByzerError

        raise ByzerError(f"the KMeans model under {model_path} has no saved metadata")
    meta = json.loads(first[0])
    nodes = {
        int(row["index"]): ([float(x) for x in row["center"]], [int(c) for c in row["children"] or ()])
        for row in spark.read.parquet(saved + "/data").collect()
    }
    root = int(meta["rootId"])
    cosine = meta.get("distanceMeasure") == "cosine"

    def cost(center: list[float], x: list[float]) -> float:
        if cosine:
            dot = sum(a * b for a, b in zip(center, x, strict=False))
            norms = math.sqrt(sum(a * a for a in center)) * math.sqrt(sum(b * b for b in x))
            return 1.0 - dot / norms if norms else 1.0
        return sum((a - b) ** 2 for a, b in zip(center, x, strict=False))

    def predict(v: Any) -> int:
        x = _array(v)
        node = root
        while nodes[node][1]:
            node = min(nodes[node][1], key=lambda child: cost(nodes[child][0], x))  # first of equals
        return node

    return predict


def _matrix_rows(matrix: Any) -> list[list[float]]:
    return [[float(x) for x in row] for row in matrix.toArray()]


# -- trees -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Node:
    prediction: float
    stats: tuple[float, ...]
    left: int
    right: int
    feature: int
    threshold: float
    categories: frozenset[float] | None  # a categorical split: these values go left


def load_trees(spark: SparkSession, model_path: str) -> tuple[list[dict[int, Node]], list[float]]:
    """The trees MLlib saved under ``model_path/data`` (nodes by id) and their weights."""
    trees: dict[int, dict[int, Node]] = {}
    data = spark.read.parquet(model_path.rstrip("/") + "/data")
    tree_col = "treeID" in data.columns
    for row in data.collect():
        node = row["nodeData"] if tree_col else row
        split = node["split"]
        categorical = split["numCategories"] != -1
        left_values = list(split["leftCategoriesOrThreshold"] or [])
        trees.setdefault(row["treeID"] if tree_col else 0, {})[node["id"]] = Node(
            prediction=float(node["prediction"]),
            stats=tuple(float(x) for x in node["impurityStats"] or ()),
            left=int(node["leftChild"]),
            right=int(node["rightChild"]),
            feature=int(split["featureIndex"]),
            threshold=left_values[0] if left_values and not categorical else 0.0,
            categories=frozenset(left_values) if categorical else None,
        )
    order = sorted(trees)
    weights = [1.0] * len(order)
    if tree_col:
        meta = spark.read.parquet(model_path.rstrip("/") + "/treesMetadata").collect()
        # columns (treeID, metadata, weight), named _1, _2, _3 by MLlib
        by_tree = {int(r[0]): float(r[2]) for r in meta}
        weights = [by_tree.get(t, 1.0) for t in order]
    return [trees[t] for t in order], weights


def leaf(tree: dict[int, Node], x: list[float]) -> Node:
    node = tree[0]
    while node.left >= 0:
        value = x[node.feature]
        goes_left = value in node.categories if node.categories is not None else value <= node.threshold
        node = tree[node.left if goes_left else node.right]
    return node


def forest_classifier(trees: list[dict[int, Node]]) -> Callable[[Any], tuple[list[float], list[float]]]:
    def score(v: Any) -> tuple[list[float], list[float]]:
        x = _array(v)
        raw: list[float] = []
        for tree in trees:
            stats = leaf(tree, x).stats
            total = sum(stats) or 1.0
            if not raw:
                raw = [0.0] * len(stats)
            for i, s in enumerate(stats):
                raw[i] += s / total
        total = sum(raw) or 1.0
        return raw, [r / total for r in raw]

    return score


def boosted_margin(trees: list[dict[int, Node]], weights: list[float]) -> Callable[[Any], float]:
    def margin(v: Any) -> float:
        x = _array(v)
        return sum(w * leaf(tree, x).prediction for tree, w in zip(trees, weights, strict=True))

    return margin


def boosted_classifier(margin: Callable[[Any], float]) -> Callable[[Any], tuple[list[float], list[float]]]:
    def score(v: Any) -> tuple[list[float], list[float]]:
        m = margin(v)
        p = 1.0 / (1.0 + math.exp(-2.0 * m)) if m > -350 else 0.0
        return [-m, m], [1.0 - p, p]

    return score
