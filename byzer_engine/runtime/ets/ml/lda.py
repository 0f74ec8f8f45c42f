"""LDA (MLlib LDA: k 10, maxIter 20, optimizer online) on term-count vectors.

predict adds ``topicDistribution``. register: ``fn(termIndex)`` → that term's weight in each topic,
``fn_doc(vector)`` → the document's topic distribution (MLlib's own seeded inference in the JVM, so
it equals predict's ``topicDistribution``; not on Spark Connect), ``fn_topic(topic, n)`` → the
topic's top n (termIndex, weight).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from byzer_engine.runtime.ets.ml.base import AlgorithmET

if TYPE_CHECKING:
    from pyspark.ml import Model
    from pyspark.sql import SparkSession

    from byzer_engine.runtime.ets.base import ETContext
    from byzer_engine.runtime.ets.ml.scoring import ScoringFunction


class LDA(AlgorithmET):
    name = "LDA"
    doc = "MLlib LDA topics over term-count vectors (k 10, maxIter 20, optimizer online)"
    estimator_class = "pyspark.ml.clustering.LDA"
    model_class = "pyspark.ml.clustering.LocalLDAModel"
    evaluation = ""
    example = """\
train docs as LDA.`/tmp/model/lda` where fitParam.0.k="3" and fitParam.0.maxIter="10";
predict docs as LDA.`/tmp/model/lda` as topics;
register LDA.`/tmp/model/lda` as lda;
select lda_topic(0, 5) as top_terms as out;"""

    def load_model(self, path: str) -> Model:
        from pyspark.ml.clustering import DistributedLDAModel, LocalLDAModel

        try:
            return LocalLDAModel.load(path)
        except Exception:  # the em optimizer saves a distributed model
            return DistributedLDAModel.load(path)

    def scoring_functions(self, spark: SparkSession, model: Model, model_path: str) -> list[ScoringFunction]:
        from pyspark.ml.linalg import Vectors, VectorUDT
        from pyspark.sql.types import ArrayType, DoubleType, IntegerType, StructField, StructType

        m: Any = model
        matrix = m.topicsMatrix().toArray()  # vocabSize x k
        term_rows = [[float(x) for x in row] for row in matrix]
        topics = m.describeTopics(m.vocabSize()).collect()
        ranked = {int(r["topic"]): list(zip(r["termIndices"], r["termWeights"], strict=True)) for r in topics}

        def term(index: Any) -> Any:
            if index is None or not 0 <= int(index) < len(term_rows):
                return None
            return Vectors.dense(term_rows[int(index)])

        def topic(number: Any, n: Any) -> Any:
            if number is None or n is None or int(number) not in ranked:
                return None
            return [(int(i), float(w)) for i, w in ranked[int(number)][: int(n)]]

        pair = StructType([StructField("termIndex", IntegerType()), StructField("weight", DoubleType())])
        return [("", term, VectorUDT()), ("_topic", topic, ArrayType(pair))]

    def register_jvm_functions(self, ctx: ETContext, model: Model, function: str) -> None:
        from byzer_engine.runtime.ets.ml.jvm_scoring import register_lda_topic_distribution

        register_lda_topic_distribution(ctx, model, function + "_doc")

    def explain_rows(self, model: Model) -> list[tuple[str, str]]:
        m: Any = model
        return [("uid", str(m.uid)), ("vocabSize", str(m.vocabSize()))]
