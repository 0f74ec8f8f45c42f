"""Byzer's vector helpers over MLlib vectors: ``vec_dense``, ``vec_array``, ``vec_argmax`` ...

Semantics follow Byzer's (Breeze-based) definitions: element-wise operations keep a sparse input
sparse, ``vec_mean`` counts the zeros of a sparse vector, ``vec_stddev`` is the sample deviation and
``vec_cosine`` is the cosine similarity (0.0 for empty or different-sized vectors).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from byzer_engine.runtime.functions.python_udf import PythonFunction

if TYPE_CHECKING:
    from pyspark.sql.types import DataType

# An MLlib vector (DenseVector or SparseVector; their common base declares few of their methods).
Vector = Any


def _vector_type() -> DataType:
    from pyspark.ml.linalg import VectorUDT

    return VectorUDT()


def _double() -> DataType:
    from pyspark.sql.types import DoubleType

    return DoubleType()


def _values(v: Vector) -> list[float]:
    return [float(x) for x in v.toArray()]


def _same_kind(template: Vector, values: list[float]) -> Vector:
    """``values`` as a vector, sparse when ``template`` is sparse."""
    from pyspark.ml.linalg import DenseVector, SparseVector, Vectors

    if isinstance(template, SparseVector) and not isinstance(template, DenseVector):
        pairs = [(i, x) for i, x in enumerate(values) if x != 0.0]
        return Vectors.sparse(len(values), [i for i, _ in pairs], [x for _, x in pairs])
    return Vectors.dense(values)


def _pairwise(a: Vector, b: Vector, op: Any) -> Vector:
    if a.size != b.size:
        raise ValueError(f"vectors of different sizes: {a.size} and {b.size}")
    return _same_kind(a, [op(x, y) for x, y in zip(_values(a), _values(b), strict=True)])


class VecDense(PythonFunction):
    name = "vec_dense"
    doc = "vec_dense(array<double>) -> vector: a dense vector"

    @staticmethod
    def return_type() -> DataType:
        return _vector_type()

    @staticmethod
    def call(values: list[float]) -> Vector:
        from pyspark.ml.linalg import Vectors

        return Vectors.dense([float(x) for x in values])


class VecSparse(PythonFunction):
    name = "vec_sparse"
    doc = "vec_sparse(size int, map<int,double>) -> vector: a sparse vector"

    @staticmethod
    def return_type() -> DataType:
        return _vector_type()

    @staticmethod
    def call(size: int, entries: dict[int, float]) -> Vector:
        from pyspark.ml.linalg import Vectors

        return Vectors.sparse(int(size), {int(k): float(v) for k, v in entries.items()})


class VecArray(PythonFunction):
    name = "vec_array"
    doc = "vec_array(vector) -> array<double>"

    @staticmethod
    def return_type() -> DataType:
        from pyspark.sql.types import ArrayType, DoubleType

        return ArrayType(DoubleType())

    @staticmethod
    def call(v: Vector) -> list[float]:
        return _values(v)


class VecMkString(PythonFunction):
    name = "vec_mk_string"
    doc = "vec_mk_string(separator, vector) -> string: the values joined"

    @staticmethod
    def return_type() -> DataType:
        from pyspark.sql.types import StringType

        return StringType()

    @staticmethod
    def call(separator: str, v: Vector) -> str:
        return separator.join(str(x) for x in _values(v))


class VecArgmax(PythonFunction):
    name = "vec_argmax"
    doc = "vec_argmax(vector) -> int: index of the largest value (-1 if empty)"

    @staticmethod
    def return_type() -> DataType:
        from pyspark.sql.types import IntegerType

        return IntegerType()

    @staticmethod
    def call(v: Vector) -> int:
        values = _values(v)
        return max(range(len(values)), key=values.__getitem__) if values else -1


class VecSqdist(PythonFunction):
    name = "vec_sqdist"
    doc = "vec_sqdist(vector, vector) -> double: squared Euclidean distance"

    @staticmethod
    def return_type() -> DataType:
        return _double()

    @staticmethod
    def call(a: Vector, b: Vector) -> float:
        return float(a.squared_distance(b))


class VecNorm(PythonFunction):
    name = "vec_norm"
    doc = "vec_norm(vector, p double) -> double: the p-norm"

    @staticmethod
    def return_type() -> DataType:
        return _double()

    @staticmethod
    def call(v: Vector, p: float) -> float:
        return float(v.norm(float(p)))


class VecConcat(PythonFunction):
    name = "vec_concat"
    doc = "vec_concat(array<vector>) -> vector: the vectors one after another"

    @staticmethod
    def return_type() -> DataType:
        return _vector_type()

    @staticmethod
    def call(vectors: list[Vector]) -> Vector:
        from pyspark.ml.linalg import Vectors

        indices: list[int] = []
        values: list[float] = []
        offset = 0
        for v in vectors:
            for i, x in enumerate(_values(v)):
                if x != 0.0:
                    indices.append(offset + i)
                    values.append(x)
            offset += v.size
        # the smaller of the two forms, as MLlib's compressed vectors
        if 1.5 * (len(values) + 1.0) < offset:
            return Vectors.sparse(offset, indices, values)
        dense = [0.0] * offset
        for i, x in zip(indices, values, strict=True):
            dense[i] = x
        return Vectors.dense(dense)


class VecSlice(PythonFunction):
    name = "vec_slice"
    doc = "vec_slice(vector, array<int>) -> vector: the values at those indices"

    @staticmethod
    def return_type() -> DataType:
        return _vector_type()

    @staticmethod
    def call(v: Vector, indices: list[int]) -> Vector:
        values = _values(v)
        return _same_kind(v, [values[int(i)] for i in indices])


class VecRange(PythonFunction):
    name = "vec_range"
    doc = "vec_range(vector, array(from, until)) -> vector: the values in [from, until)"

    @staticmethod
    def return_type() -> DataType:
        return _vector_type()

    @staticmethod
    def call(v: Vector, bounds: list[int]) -> Vector:
        if len(bounds) != 2:
            raise ValueError("vec_range takes array(from, until)")
        return _same_kind(v, _values(v)[int(bounds[0]) : int(bounds[1])])


class VecCosine(PythonFunction):
    name = "vec_cosine"
    doc = "vec_cosine(vector, vector) -> double: cosine similarity (0.0 if sizes differ or empty)"

    @staticmethod
    def return_type() -> DataType:
        return _double()

    @staticmethod
    def call(a: Vector, b: Vector) -> float:
        if a.size == 0 or b.size == 0 or a.size != b.size:
            return 0.0
        denominator = float(a.norm(2)) * float(b.norm(2))
        return float(a.dot(b)) / denominator if denominator else math.nan


class VecWiseMul(PythonFunction):
    name = "vec_wise_mul"
    doc = "vec_wise_mul(vector, vector) -> vector: element-wise product"

    @staticmethod
    def return_type() -> DataType:
        return _vector_type()

    @staticmethod
    def call(a: Vector, b: Vector) -> Vector:
        return _pairwise(a, b, lambda x, y: x * y)


class VecWiseAdd(PythonFunction):
    name = "vec_wise_add"
    doc = "vec_wise_add(vector, vector) -> vector: element-wise sum"

    @staticmethod
    def return_type() -> DataType:
        return _vector_type()

    @staticmethod
    def call(a: Vector, b: Vector) -> Vector:
        return _pairwise(a, b, lambda x, y: x + y)


class VecWiseDif(PythonFunction):
    name = "vec_wise_dif"
    doc = "vec_wise_dif(vector, vector) -> vector: element-wise difference"

    @staticmethod
    def return_type() -> DataType:
        return _vector_type()

    @staticmethod
    def call(a: Vector, b: Vector) -> Vector:
        return _pairwise(a, b, lambda x, y: x - y)


class VecWiseMod(PythonFunction):
    name = "vec_wise_mod"
    doc = "vec_wise_mod(vector, vector) -> vector: element-wise remainder (sign of the dividend)"

    @staticmethod
    def return_type() -> DataType:
        return _vector_type()

    @staticmethod
    def call(a: Vector, b: Vector) -> Vector:
        return _pairwise(a, b, math.fmod)


class VecInplaceAdd(PythonFunction):
    name = "vec_inplace_add"
    doc = "vec_inplace_add(vector, double) -> vector: adds the number to every value"

    @staticmethod
    def return_type() -> DataType:
        return _vector_type()

    @staticmethod
    def call(v: Vector, x: float) -> Vector:
        from pyspark.ml.linalg import Vectors

        return Vectors.dense([y + float(x) for y in _values(v)])


class VecInplaceEwMul(PythonFunction):
    name = "vec_inplace_ew_mul"
    doc = "vec_inplace_ew_mul(vector, double) -> vector: multiplies every value by the number"

    @staticmethod
    def return_type() -> DataType:
        return _vector_type()

    @staticmethod
    def call(v: Vector, x: float) -> Vector:
        return _same_kind(v, [y * float(x) for y in _values(v)])


class VecCeil(PythonFunction):
    name = "vec_ceil"
    doc = "vec_ceil(vector) -> vector"

    @staticmethod
    def return_type() -> DataType:
        return _vector_type()

    @staticmethod
    def call(v: Vector) -> Vector:
        return _same_kind(v, [float(math.ceil(y)) for y in _values(v)])


class VecFloor(PythonFunction):
    name = "vec_floor"
    doc = "vec_floor(vector) -> vector"

    @staticmethod
    def return_type() -> DataType:
        return _vector_type()

    @staticmethod
    def call(v: Vector) -> Vector:
        return _same_kind(v, [float(math.floor(y)) for y in _values(v)])


class VecMean(PythonFunction):
    name = "vec_mean"
    doc = "vec_mean(vector) -> double: mean of all values (zeros of a sparse vector included)"

    @staticmethod
    def return_type() -> DataType:
        return _double()

    @staticmethod
    def call(v: Vector) -> float:
        values = _values(v)
        return sum(values) / len(values) if values else math.nan


class VecStddev(PythonFunction):
    name = "vec_stddev"
    doc = "vec_stddev(vector) -> double: sample standard deviation of the values"

    @staticmethod
    def return_type() -> DataType:
        return _double()

    @staticmethod
    def call(v: Vector) -> float:
        values = _values(v)
        if len(values) < 2:
            return 0.0 if values else math.nan
        mean = sum(values) / len(values)
        return math.sqrt(sum((x - mean) ** 2 for x in values) / (len(values) - 1))


class OneHot(PythonFunction):
    name = "onehot"
    doc = "onehot(index int, size int) -> vector: 1.0 at index (empty unless 0 < index < size, as Byzer)"

    @staticmethod
    def return_type() -> DataType:
        return _vector_type()

    @staticmethod
    def call(index: int, size: int) -> Vector:
        from pyspark.ml.linalg import Vectors

        if 0 < index < size:
            return Vectors.sparse(int(size), [int(index)], [1.0])
        return Vectors.sparse(int(size), [], [])
