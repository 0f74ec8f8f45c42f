"""MapValues: ``train`` saves a key → value dictionary; ``register`` makes it SQL functions."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime.ets.base import ET, ETContext, ETParam
from byzer_engine.runtime.ets.data._common import empty_result, is_predict, need_column, need_table, required

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

DATA = "data"
META = "meta"


def _join(base: str, leaf: str) -> str:
    return base.rstrip("/") + "/" + leaf


class MapValues(ET):
    name = "MapValues"
    alg_type = "feature engineer"
    doc = (
        "train saves the inputCol → outputCol dictionary of a table at PATH; register makes fn(string) "
        "(the key's value; an unknown key gets the value of the key mapMissingTo) and fn_array(array<string>)."
    )
    params = (
        ETParam("inputCol", "the key column", required=True),
        ETParam("outputCol", "the value column", required=True),
        ETParam(
            "mapMissingTo", "the key whose value unknown keys get (exactly one row has it)", required=True
        ),
    )
    example = (
        "select 'a' as k, 1 as v union all select 'b', 2 union all select 'unknown', 0 as dictionary;\n"
        'train dictionary as MapValues.`models/map_values` where inputCol="k" and outputCol="v" '
        'and mapMissingTo="unknown";\n'
        "register MapValues.`models/map_values` as to_code;\n"
        "select to_code('a') as a, to_code('zzz') as missing, to_code_array(array('a', 'b')) as both as out;"
    )

    def run(self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]) -> DataFrame:
        if is_predict(ctx):
            return empty_result(ctx.spark)
        from pyspark.sql import functions as F

        df = need_table(self, table)
        key = required(self, options, "inputCol")
        value = required(self, options, "outputCol")
        missing = required(self, options, "mapMissingTo")
        need_column(self, df, key, "inputCol")
        need_column(self, df, value, "outputCol")
        if not path.strip():
            raise ByzerError("MapValues: train needs a PATH to save the dictionary at")
        dictionary = df.select(F.col(f"`{key}`").cast("string").alias(key), F.col(f"`{value}`"))
        matches = dictionary.where(F.col(f"`{key}`") == F.lit(missing)).limit(2).count()
        if matches != 1:
            raise ByzerError(
                f"MapValues: mapMissingTo '{missing}' must be the key of exactly one row of {key}, "
                f"but {'no row has it' if matches == 0 else 'several rows have it'}"
            )
        base = ctx.resolve_path(path)
        dictionary.write.mode("overwrite").parquet(_join(base, DATA))
        meta = json.dumps({"inputCol": key, "outputCol": value, "mapMissingTo": missing})
        ctx.spark.createDataFrame([(meta,)], "meta string").write.mode("overwrite").json(_join(base, META))
        return empty_result(ctx.spark)

    def register(self, ctx: ETContext, path: str, function: str, options: dict[str, str]) -> None:
        from pyspark.sql.types import ArrayType

        base = ctx.resolve_path(path)
        try:
            meta = json.loads(ctx.spark.read.json(_join(base, META)).first()["meta"])  # type: ignore[index]
            data = ctx.spark.read.parquet(_join(base, DATA))
        except Exception:
            raise ByzerError(
                f"MapValues: no dictionary saved at {path} (train MapValues there first)"
            ) from None
        value = meta["outputCol"]
        value_type = data.schema[value].dataType
        mapping: dict[str | None, Any] = {row[0]: row[1] for row in data.collect()}
        fallback = mapping.get(meta["mapMissingTo"])

        # Lambdas: pyspark reads the type hints of a named function as a pandas UDF's.
        ctx.spark.udf.register(function, lambda text: mapping.get(text, fallback), value_type)
        ctx.spark.udf.register(
            f"{function}_array",
            lambda texts: None if texts is None else [mapping.get(t, fallback) for t in texts],
            ArrayType(value_type),
        )
