"""The ``Ray`` ET: ``run command as Ray.`` where inputTable="t" and outputTable="o" and code='''...''';``

Found by the runtime through the ``byzer_engine.ets`` entry points; importing it is cheap (no Ray,
no pyarrow): ``run`` imports what it needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from byzer_engine.runtime.ets.base import ET, ETContext, ETParam

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


class RayET(ET):
    name: ClassVar[str] = "Ray"
    doc: ClassVar[str] = (
        "Runs Python code over a table on Ray and returns a table of the schema set with "
        '!python conf "schema=..." (see docs/python.md).'
    )
    params: ClassVar[tuple[ETParam, ...]] = (
        ETParam("inputTable", "the table the code reads; command for none", required=True),
        ETParam("code", "the Python code; py.NAME reads it from table NAME's first cell", required=True),
        ETParam("outputTable", "the name of the result table"),
        ETParam("confTable", "a (key, value) table merged into the conf"),
        ETParam("dataWaitServerReadyTimeout", "seconds to wait for the data servers", default="300"),
        ETParam("keepPartitionNum", "true: keep the input's partition count", default="false"),
    )
    example: ClassVar[str] = """select 1 as a as t;
!python conf "schema=st(field(a,long))";
run command as Ray.`` where inputTable="t" and outputTable="o" and code='''
from pyjava.api.mlsql import RayContext
rows = list(RayContext.connect(globals(), None).collect())
context.build_result([{"a": r["a"] + 1} for r in rows])
''';"""

    def run(
        self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]
    ) -> DataFrame | None:
        from byzer_engine.python.run import place_in, run_python

        return run_python(ctx, options, lambda code: place_in(ctx.statement_span, code))


__all__ = ["RayET"]
