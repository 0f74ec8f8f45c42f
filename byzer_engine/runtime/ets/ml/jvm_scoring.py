"""Scoring functions that must run MLlib's own JVM code (its exact arithmetic, seeds included).

LDA's ``fn_doc(vector)`` is MLlib's per-document variational inference, whose seeded random start
Python cannot reproduce. The engine compiles one small Java class of its own (Janino, as for
``ScriptUDF lang="java"``; no user code, so no code-execution switch is involved) that holds the
model's mllib form and calls its ``topicDistribution``, the method ``predict``'s transform uses with
the same seed: the function equals predict's ``topicDistribution`` exactly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime.ets.jvm_udf import _add_jar, _janino

if TYPE_CHECKING:
    from pyspark.ml import Model

    from byzer_engine.runtime.ets.base import ETContext

_LDA_CLASS = "ByzerLdaTopicDistribution"
# ``oldLocalModel`` is ``private[clustering]`` in Scala, which is a public method in the bytecode.
_LDA_SOURCE = f"""
public class {_LDA_CLASS} implements org.apache.spark.sql.api.java.UDF1, java.io.Serializable {{
  private final org.apache.spark.mllib.clustering.LocalLDAModel model;
  public {_LDA_CLASS}(org.apache.spark.ml.clustering.LocalLDAModel trained) {{
    model = trained.oldLocalModel();
  }}
  public Object call(Object vector) throws Exception {{
    if (vector == null) return null;
    org.apache.spark.mllib.linalg.Vector document =
        org.apache.spark.mllib.linalg.Vectors.fromML((org.apache.spark.ml.linalg.Vector) vector);
    return model.topicDistribution(document).asML();
  }}
}}
"""


def _class(ctx: ETContext, name: str, source: str) -> Any:
    """The compiled class ``name`` (compiled and added to the session once per JVM)."""
    jvm: Any = getattr(ctx.spark, "_jvm", None)
    if jvm is None:
        raise ByzerError("this function needs a local or cluster Spark session (not Spark Connect)")
    loader = ctx.spark._jsparkSession.sharedState().jarClassLoader()  # type: ignore[attr-defined]
    try:
        return jvm.java.lang.Class.forName(name, True, loader)
    except Exception:  # not compiled in this JVM yet
        pass
    compiler = _janino(ctx, source, name)
    classes = {
        f"{c.getThisClassName().replace('.', '/')}.class": bytes(c.toByteArray())
        for c in compiler.getClassFiles()
    }
    loader = _add_jar(ctx, classes, name)
    return jvm.java.lang.Class.forName(name, True, loader)


def register_lda_topic_distribution(ctx: ETContext, model: Model, function: str) -> None:
    """``function(vector)`` → the document's topic distribution, as predict computes it."""
    java_model: Any = getattr(model, "_java_obj", None)
    jvm: Any = getattr(ctx.spark, "_jvm", None)
    if java_model is None or jvm is None or not hasattr(model, "topicsMatrix"):
        return
    if java_model.getClass().getSimpleName() != "LocalLDAModel":
        java_model = java_model.toLocal()  # the em optimizer's distributed model scores as its local form
    cls = _class(ctx, _LDA_CLASS, _LDA_SOURCE)
    gateway: Any = ctx.spark.sparkContext._gateway
    arguments = gateway.new_array(jvm.java.lang.Object, 1)
    arguments[0] = java_model
    instance = cls.getConstructors()[0].newInstance(arguments)
    ctx.spark._jsparkSession.udf().register(  # type: ignore[attr-defined]
        function, instance, jvm.org.apache.spark.ml.linalg.VectorUDT()
    )
