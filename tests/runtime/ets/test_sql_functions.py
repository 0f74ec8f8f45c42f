"""Byzer's built-in SQL functions, registered on every owner session."""

from __future__ import annotations

import pytest

from byzer_engine.runtime import Engine
from byzer_engine.runtime.functions.aes import DEFAULT_IV, DEFAULT_KEY, decrypt, encrypt


def test_vector_functions(engine: Engine) -> None:
    row = engine.run_script(
        """select vec_array(vec_dense(array(1.0, 3.0, 2.0))) as arr,
                  vec_argmax(vec_dense(array(1.0, 3.0, 2.0))) as argmax,
                  vec_array(vec_sparse(4, map(1, 2.0, 3, 4.0))) as sparse,
                  vec_array(vec_concat(array(vec_dense(array(1.0)), vec_dense(array(2.0, 3.0))))) as cat,
                  vec_array(vec_slice(vec_dense(array(5.0, 6.0, 7.0)), array(2, 0))) as sliced,
                  vec_array(vec_range(vec_dense(array(5.0, 6.0, 7.0)), array(1, 3))) as ranged,
                  vec_mean(vec_dense(array(1.0, 2.0, 3.0))) as mean,
                  vec_stddev(vec_dense(array(1.0, 2.0, 3.0))) as sd,
                  vec_norm(vec_dense(array(3.0, 4.0)), 2.0) as norm,
                  vec_sqdist(vec_dense(array(0.0, 0.0)), vec_dense(array(3.0, 4.0))) as sqdist,
                  vec_cosine(vec_dense(array(1.0, 0.0)), vec_dense(array(1.0, 1.0))) as cosine,
                  vec_array(vec_wise_mul(vec_dense(array(2.0, 3.0)), vec_dense(array(4.0, 5.0)))) as mul,
                  vec_array(vec_wise_add(vec_dense(array(2.0, 3.0)), vec_dense(array(4.0, 5.0)))) as plus,
                  vec_array(vec_wise_dif(vec_dense(array(2.0, 3.0)), vec_dense(array(4.0, 5.0)))) as dif,
                  vec_array(vec_wise_mod(vec_dense(array(7.0, -7.0)), vec_dense(array(4.0, 4.0)))) as md,
                  vec_array(vec_inplace_add(vec_dense(array(1.0, 2.0)), 1.5)) as added,
                  vec_array(vec_inplace_ew_mul(vec_dense(array(1.0, 2.0)), 3.0)) as scaled,
                  vec_array(vec_ceil(vec_dense(array(1.2, -1.2)))) as ceil,
                  vec_array(vec_floor(vec_dense(array(1.2, -1.2)))) as floor,
                  vec_mk_string('|', vec_dense(array(1.0, 2.0))) as text,
                  vec_array(onehot(2, 4)) as hot,
                  vec_dense(cast(null as array<double>)) is null as null_in
           as t;""",
        owner="fn_vectors",
    ).rows[0]
    assert row["arr"] == [1.0, 3.0, 2.0] and row["argmax"] == 1
    assert row["sparse"] == [0.0, 2.0, 0.0, 4.0]
    assert row["cat"] == [1.0, 2.0, 3.0]
    assert row["sliced"] == [7.0, 5.0] and row["ranged"] == [6.0, 7.0]
    assert row["mean"] == 2.0 and row["sd"] == 1.0
    assert row["norm"] == 5.0 and row["sqdist"] == 25.0
    assert row["cosine"] == pytest.approx(2**-0.5)
    assert row["mul"] == [8.0, 15.0] and row["plus"] == [6.0, 8.0] and row["dif"] == [-2.0, -2.0]
    assert row["md"] == [3.0, -3.0]
    assert row["added"] == [2.5, 3.5] and row["scaled"] == [3.0, 6.0]
    assert row["ceil"] == [2.0, -1.0] and row["floor"] == [1.0, -2.0]
    assert row["text"] == "1.0|2.0" and row["hot"] == [0.0, 0.0, 1.0, 0.0]
    assert row["null_in"] is True


def test_aes_round_trip_and_spark_builtin(engine: Engine) -> None:
    row = engine.run_script(
        """select aes_encrypt('hello') as enc, aes_decrypt(aes_encrypt('hello')) as back,
                  aes_decrypt('not base64 !') as bad,
                  cast(system.builtin.aes_decrypt(system.builtin.aes_encrypt('hi', '0000111122223333'),
                                                  '0000111122223333') as string) as spark_own
           as t;""",
        owner="fn_aes",
    ).rows[0]
    assert row["back"] == "hello" and row["bad"] is None and row["spark_own"] == "hi"
    assert row["enc"] == encrypt("hello", DEFAULT_KEY, DEFAULT_IV)
    assert decrypt(row["enc"], DEFAULT_KEY, DEFAULT_IV) == "hello"


def test_functions_are_plugins(engine: Engine) -> None:
    names = engine.functions.names()
    assert {"vec_dense", "vec_array", "vec_argmax", "aes_encrypt", "aes_decrypt"} <= set(names)
