"""TfIdfInPlace, Word2VecInPlace and FeatureExtractInPlace: train → the written data → register."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from ml_data import run

from byzer_engine.runtime import Engine

OWNER = "text_feature_ets"
DOCS = """select * from values ('the cat sat'), ('the dog sat'), ('a cat ran') as v(content) as docs;"""


@pytest.fixture(scope="module")
def data(engine: Engine) -> Engine:
    run(engine, OWNER, DOCS)
    return engine


def _sum(data: Engine, fn: str, text: str) -> float:
    row = run(data, OWNER, f"select vec_array({fn}('{text}')) as v as out;")[0]
    return float(sum(row["v"]))


def test_tfidf_in_place(data: Engine, tmp_path: Path) -> None:
    stop = tmp_path / "stop.txt"
    stop.write_text("the\n")
    priority = tmp_path / "priority.txt"
    priority.write_text("dog\n")
    out = run(
        data,
        OWNER,
        f'train docs as TfIdfInPlace.`text/tfidf` where inputCol="content" and stopWordPath="{stop}" '
        f'and nGrams="2" and priorityDicPath="{priority}" and priority="3" as vectors;\n'
        "select size(vec_array(content)) as n from vectors as sized;",
    )
    assert len(out) == 3
    run(data, OWNER, "register TfIdfInPlace.`text/tfidf` as tfidf;")
    three = 3 + 1  # MLlib's idf: log((documents + 1) / (df + 1))
    assert _sum(data, "tfidf", "cat") == pytest.approx(math.log(three / 3))
    assert _sum(data, "tfidf", "cat cat") == pytest.approx(2 * math.log(three / 3))
    assert _sum(data, "tfidf", "the") == 0.0  # a stop word
    # the bigram "catsat" (df 1) is in the vocabulary too
    assert _sum(data, "tfidf", "cat sat") == pytest.approx(
        math.log(three / 3) + math.log(three / 3) + math.log(three / 2)
    )
    assert _sum(data, "tfidf", "dog") == pytest.approx(3 * math.log(three / 2))  # a priority word


def test_tfidf_keeps_dictionary_words_of_cjk_text_whole(data: Engine, tmp_path: Path) -> None:
    words = tmp_path / "dict.txt"
    words.write_text("北京\n天安门\n")
    rows = run(
        data,
        OWNER,
        "select '我爱北京天安门' as content union all select '北京很大' as content as cn;\n"
        f'train cn as TfIdfInPlace.`text/tfidf_cn` where inputCol="content" and dicPaths="{words}" as v;\n'
        "select vec_array(content) as v from v as out;",
    )
    nonzero = sorted(sum(1 for x in r["v"] if x != 0.0) for r in rows)
    # 我 爱 天安门 (北京 is in every document: idf 0) | 很 大
    assert nonzero == [2, 3]


def test_word2vec_in_place(data: Engine) -> None:
    assert (
        run(
            data,
            OWNER,
            'train docs as Word2VecInPlace.`text/w2v` where inputCol="content" and vectorSize="4" '
            'and resultFeature="merge";',
        )
        == []
    )
    written = run(data, OWNER, "load parquet.`text/w2v/data` as w;")
    assert len(written) == 3 and all(len(r["content"]) == 4 for r in written)
    run(data, OWNER, "register Word2VecInPlace.`text/w2v` as w2v;")
    row = run(data, OWNER, "select w2v('cat') as c, w2v('dog') as d, w2v('cat dog zebra') as both as out;")[0]
    assert len(row["c"]) == 4
    assert row["both"] == pytest.approx([a + b for a, b in zip(row["c"], row["d"], strict=True)])

    run(
        data,
        OWNER,
        'train docs as Word2VecInPlace.`text/w2v_words` where inputCol="content" and vectorSize="3";',
    )
    run(data, OWNER, "register Word2VecInPlace.`text/w2v_words` as w2v_words;")
    per_word = run(data, OWNER, "select w2v_words('cat zebra sat') as v as out;")[0]["v"]
    assert len(per_word) == 2 and all(len(v) == 3 for v in per_word)  # zebra has no vector


def test_word2vec_with_pretrained_vectors(data: Engine, tmp_path: Path) -> None:
    vectors = tmp_path / "vectors.txt"
    vectors.write_text("2 2\ncat 1.0 0.0\ndog 0.0 1.0\n")
    run(
        data,
        OWNER,
        f'train docs as Word2VecInPlace.`text/w2v_pre` where inputCol="content" and wordvecPaths="{vectors}" '
        'and length="1" and resultFeature="flat";',
    )
    run(data, OWNER, "register Word2VecInPlace.`text/w2v_pre` as w2v_pre;")
    row = run(data, OWNER, "select w2v_pre('dog cat') as v as out;")[0]
    assert row["v"] == [0.0, 1.0]  # length="1": the first known word only


DOC = (
    "call 13800138000 or mail a.b@example.com <img src='http://x.org/y.png'> "
    "see http://example.com/page 微信: wx_12345 &amp; more"
)


def test_feature_extract_in_place(data: Engine) -> None:
    run(data, OWNER, f'select "{DOC}" as doc union all select "plain words only" as doc as fe_docs;')
    assert run(data, OWNER, 'train fe_docs as FeatureExtractInPlace.`text/fe` where inputCol="doc";') == []
    written = {r["doc"][:5]: r for r in run(data, OWNER, "load parquet.`text/fe/data` as w;")}
    rich, plain = written["call "], written["plain"]
    assert (rich["phone"], rich["email"], rich["qqwechat"]) == (True, True, True)
    assert (plain["phone"], plain["email"], plain["qqwechat"]) == (False, False, False)
    assert rich["url"] == 2 and rich["pic"] == 1
    assert "<img" not in rich["cleanedDoc"] and "& more" in rich["cleanedDoc"]
    assert plain["length"] == len("plain words only") and plain["english"] == round(100 * 14 / 16)
    run(data, OWNER, "register FeatureExtractInPlace.`text/fe` as fe;")
    row = run(
        data,
        OWNER,
        "select fe(doc) as phone, fe_email(doc) as email, fe_url(doc) as url, fe_cleanHtml(doc) as text, "
        "fe_length('abc') as n from fe_docs where doc like 'call%' as out;",
    )[0]
    assert row["phone"] is True and row["email"] is True and row["url"] == 2
    assert row["text"] == rich["cleanedDoc"] and row["n"] == 3
