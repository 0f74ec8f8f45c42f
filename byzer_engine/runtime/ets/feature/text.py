"""TfIdfInPlace and Word2VecInPlace: text columns as vectors, on MLlib, with ``register`` functions.

Both cut texts into words by ``feature/words.py`` (the same rules at train time and in the function)
and save what ``register`` needs under ``PATH``: ``PATH/meta`` (the word rules, the vocabulary and,
for tf-idf, the idf weights) and, for Word2Vec, the MLlib model at ``PATH/model``.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime.ets.base import ET, ETContext, ETParam
from byzer_engine.runtime.ets.feature import meta
from byzer_engine.runtime.ets.feature.words import WordRules, read_words, rules_from_options
from byzer_engine.runtime.ets.ml.files import join

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

_WORDS_PARAMS = (
    ETParam("dicPaths", "files of words kept whole when cutting CJK text (one per line)"),
    ETParam("stopWordPath", "a file of words to leave out (one per line)"),
    ETParam("split", "cut texts on this string instead of into words"),
)


def _with_words(table: DataFrame, column: str, rules: WordRules) -> DataFrame:
    from pyspark.sql import functions as F
    from pyspark.sql.types import ArrayType, StringType

    cut = F.udf(lambda text: rules.words(None if text is None else str(text)), ArrayType(StringType()))
    return table.withColumn("__words", cut(F.col(column)))


class TfIdfVectors:
    """Counts of the vocabulary's words times their idf (and the priority factor of priority words)."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.rules = WordRules.from_json(document["rules"])
        self.index = {word: i for i, word in enumerate(document["vocabulary"])}
        self.idf = [float(x) for x in document["idf"]]
        self.priority = set(document.get("priority_words", ()))
        self.factor = float(document.get("priority", 1.0))

    def vector(self, text: str | None) -> Any:
        from pyspark.ml.linalg import Vectors

        if text is None:
            return None
        counts = Counter(w for w in self.rules.words(str(text)) if w in self.index)
        weights = {}
        for word, count in counts.items():
            i = self.index[word]
            weight = count * self.idf[i]
            weights[i] = weight * self.factor if word in self.priority else weight
        return Vectors.sparse(len(self.index), sorted(weights.items()))


class TfIdfInPlace(ET):
    name = "TfIdfInPlace"
    alg_type = "feature engineer"
    doc = "a text column as a tf-idf vector (MLlib's idf); fn(string) -> vector"
    params = (
        ETParam("inputCol", "the text column", required=True),
        *_WORDS_PARAMS,
        ETParam("priorityDicPath", "a file of words whose weight is multiplied by priority"),
        ETParam("priority", "the factor of the priority words", default="1"),
        ETParam("nGrams", 'also the n-grams of the words, e.g. "2,3"'),
    )
    example = """\
select "the cat sat on the mat" as content union all select "the dog ate the cat" as content as docs;
train docs as TfIdfInPlace.`/tmp/tfidf` where inputCol="content" and nGrams="2" as vectors;
register TfIdfInPlace.`/tmp/tfidf` as tfidf;
select tfidf("a cat on a mat") as v as out;"""

    def run(self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]) -> DataFrame:
        from pyspark.ml.feature import IDF, CountVectorizer
        from pyspark.ml.linalg import VectorUDT
        from pyspark.sql import functions as F

        table, column = meta.input_column(table, options, self.name)
        rules = rules_from_options(ctx.spark, options, ctx.resolve_path, self.name)
        try:
            factor = float(options.get("priority") or "1")
        except ValueError:
            raise ByzerError(f"{self.name}: priority must be a number, not {options['priority']!r}") from None
        words = _with_words(table, column, rules)
        counted = CountVectorizer(inputCol="__words", outputCol="__tf", minDF=1.0).fit(words)
        idf = IDF(inputCol="__tf", outputCol="__idf").fit(counted.transform(words))
        document = {
            "rules": rules.to_json(),
            "vocabulary": list(counted.vocabulary),
            "idf": [float(x) for x in idf.idf.toArray()],
            "priority_words": sorted(read_words(ctx.spark, options.get("priorityDicPath"), ctx.resolve_path)),
            "priority": factor,
        }
        meta.save(ctx.spark, ctx.resolve_path(path), document)
        vectors = TfIdfVectors(document)
        to_vector = F.udf(vectors.vector, VectorUDT())
        return table.withColumn(column, to_vector(F.col(column)))

    def register(self, ctx: ETContext, path: str, function: str, options: dict[str, str]) -> None:
        from pyspark.ml.linalg import VectorUDT

        vectors = TfIdfVectors(meta.load(ctx.spark, ctx.resolve_path(path), self.name))
        ctx.spark.udf.register(function, vectors.vector, VectorUDT())


RESULT_FEATURES = ("flat", "merge", "index")


class WordVectors:
    """The word vectors of a text: one per known word, or flattened, summed, or the words' indices."""

    def __init__(self, document: dict[str, Any], vectors: dict[str, list[float]]) -> None:
        self.rules = WordRules.from_json(document["rules"])
        self.vectors = vectors
        self.index = {word: i for i, word in enumerate(document["vocabulary"])}
        self.size = int(document["vector_size"])
        self.length = document.get("length")
        self.result = document.get("result_feature") or ""

    def _known(self, text: str | None) -> list[str]:
        words = [w for w in self.rules.words(str(text)) if w in self.vectors]
        return words[: int(self.length)] if self.length else words

    def value(self, text: str | None) -> Any:
        if text is None:
            return None
        words = self._known(text)
        if self.result == "index":
            return [self.index[w] for w in words]
        if self.result == "flat":
            return [x for w in words for x in self.vectors[w]]
        if self.result == "merge":
            total = [0.0] * self.size
            for w in words:
                total = [a + b for a, b in zip(total, self.vectors[w], strict=True)]
            return total
        return [list(self.vectors[w]) for w in words]

    def spark_type(self) -> Any:
        from pyspark.sql.types import ArrayType, DoubleType, IntegerType

        if self.result == "index":
            return ArrayType(IntegerType())
        if self.result in ("flat", "merge"):
            return ArrayType(DoubleType())
        return ArrayType(ArrayType(DoubleType()))


def _pretrained(ctx: ETContext, paths: str) -> dict[str, list[float]]:
    """``word v1 v2 ...`` lines (word2vec's text format; a first ``count size`` line is skipped)."""
    vectors: dict[str, list[float]] = {}
    for path in (p.strip() for p in paths.split(",") if p.strip()):
        for row in ctx.spark.read.text(ctx.resolve_path(path)).collect():
            parts = str(row[0]).split()
            if len(parts) < 2:
                continue
            try:
                values = [float(x) for x in parts[1:]]
            except ValueError:
                raise ByzerError(
                    f"Word2VecInPlace: {path} is not a word-vector file: {row[0][:80]!r}"
                ) from None
            if len(parts) == 2 and parts[0].isdigit():
                continue  # the "count size" header
            vectors[parts[0]] = values
    sizes = {len(v) for v in vectors.values()}
    if len(sizes) != 1:
        raise ByzerError(f"Word2VecInPlace: the vectors of {paths} are not all of one size")
    return vectors


class Word2VecInPlace(ET):
    name = "Word2VecInPlace"
    alg_type = "feature engineer"
    doc = "a text column as its words' vectors (MLlib Word2Vec), written to PATH/data; fn(string)"
    params = (
        ETParam("inputCol", "the text column", required=True),
        ETParam("vectorSize", "the size of a word vector", default="100"),
        ETParam("minCount", "words seen fewer times get no vector", default="1"),
        ETParam("wordvecPaths", "pretrained word vectors (word v1 v2 ... per line) instead of training"),
        ETParam("length", "with wordvecPaths: the number of words kept per text", default="100"),
        *_WORDS_PARAMS,
        ETParam(
            "resultFeature",
            "flat: the vectors concatenated; merge: summed; index: the words' indices; "
            "otherwise one vector per word",
        ),
    )
    example = """\
select "the cat sat on the mat" as content union all select "the dog ate the cat" as content as docs;
train docs as Word2VecInPlace.`/tmp/w2v` where inputCol="content" and vectorSize="8" and resultFeature="merge";
register Word2VecInPlace.`/tmp/w2v` as w2v;
select w2v("the cat") as v as out;"""

    def run(self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]) -> DataFrame:
        from pyspark.ml.feature import Word2Vec
        from pyspark.sql import functions as F

        table, column = meta.input_column(table, options, self.name)
        rules = rules_from_options(ctx.spark, options, ctx.resolve_path, self.name)
        base = ctx.resolve_path(path)
        pretrained = options.get("wordvecPaths")
        length: int | None = None
        if pretrained:
            vectors = _pretrained(ctx, pretrained)
            length = _whole(options.get("length") or "100", "length")
        else:
            model = Word2Vec(
                vectorSize=_whole(options.get("vectorSize") or "100", "vectorSize"),
                minCount=_whole(options.get("minCount") or "1", "minCount", least=0),
                inputCol="__words",
                outputCol="__vector",
                seed=42,
            ).fit(_with_words(table, column, rules))
            model.write().overwrite().save(join(base, "model"))
            vectors = {
                str(r["word"]): [float(x) for x in r["vector"].toArray()]
                for r in model.getVectors().collect()
            }
        document = {
            "rules": rules.to_json(),
            "vocabulary": sorted(vectors),
            "vector_size": len(next(iter(vectors.values()))) if vectors else 0,
            "length": length,
            "result_feature": (options.get("resultFeature") or "").strip(),
        }
        meta.save(ctx.spark, base, document)
        _save_vectors(ctx, base, vectors)
        words = WordVectors(document, vectors)
        value = F.udf(words.value, words.spark_type())
        table.withColumn(column, value(F.col(column))).write.mode("overwrite").parquet(join(base, "data"))
        return meta.empty_table(ctx.spark)

    def register(self, ctx: ETContext, path: str, function: str, options: dict[str, str]) -> None:
        base = ctx.resolve_path(path)
        document = meta.load(ctx.spark, base, self.name)
        rows = ctx.spark.read.parquet(join(base, "vectors")).collect()
        words = WordVectors(document, {str(r["word"]): list(r["vector"]) for r in rows})
        ctx.spark.udf.register(function, words.value, words.spark_type())


def _save_vectors(ctx: ETContext, base: str, vectors: dict[str, list[float]]) -> None:
    rows = [(word, vector) for word, vector in vectors.items()]
    df = ctx.spark.createDataFrame(rows, "word string, vector array<double>")
    df.write.mode("overwrite").parquet(join(base, "vectors"))


def _whole(value: str, key: str, least: int = 1) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ByzerError(f"Word2VecInPlace: {key} must be a whole number, not {value!r}") from None
    if number < least:
        raise ByzerError(f"Word2VecInPlace: {key} must be at least {least}, not {value!r}")
    return number
