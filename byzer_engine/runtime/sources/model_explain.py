"""``load modelExplain.`PATH` where alg="NAME" [and index="N"]``: what a trained model is."""

from __future__ import annotations

from typing import TYPE_CHECKING

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime.sources.base import DataSource, SourceContext

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


class ModelExplainSource(DataSource):
    name = "modelExplain"
    doc = "the model an algorithm ET trained at PATH: (name, value) rows; alg= names the ET"
    path_is_file = True

    def load(self, ctx: SourceContext, path: str, options: dict[str, str]) -> DataFrame:
        from byzer_engine.runtime.ets.ml.base import AlgorithmET
        from byzer_engine.runtime.ets.ml.explain import explain
        from byzer_engine.runtime.ets.ml.train_table import name_value_table

        alg = options.get("alg")
        if not alg:
            raise ByzerError('modelExplain needs alg="NAME" (the ET that trained the model)')
        if ctx.engine is None:
            raise ByzerError("modelExplain is only available inside a running engine")
        et = ctx.engine.ets.create(alg)
        if not isinstance(et, AlgorithmET):
            raise ByzerError(f"ET '{alg}' trains no MLlib model to explain")
        return name_value_table(ctx.spark, explain(ctx.spark, et, path, options))
