"""``register ScriptUDF.`` as NAME where lang="python" and code='''def apply(a): ...''' and dataType=...``

Makes user code a SQL function of the owner's session: Python here, Scala and Java compiled in the
Spark JVM (``jvm_udf``). Without ``lang``, Byzer's default applies: scala, unless the code is plainly
Python. Running user code is governed by the policy's ``SCRIPT_UDF`` construct (``allow_code``).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from byzer_engine.lang.errors import ByzerError
from byzer_engine.policy import SCRIPT_UDF, Policy
from byzer_engine.runtime.ets.base import ET, ETContext, ETParam

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

_TYPE_CALL = re.compile(r"\b(map|array|struct)\s*\(", re.I)


def byzer_type_to_ddl(data_type: str) -> str:
    """Byzer writes ``map(string,string)`` / ``array(int)``; Spark's DDL wants angle brackets."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(data_type):
        match = _TYPE_CALL.match(data_type, i)
        if match:
            out.append(match.group(1) + "<")
            stack.append(">")
            i = match.end()
            continue
        ch = data_type[i]
        if ch == "(":
            stack.append(")")
        elif ch == ")" and stack:
            ch = stack.pop()
        out.append(ch)
        i += 1
    return "".join(out)


def compile_function(code: str, method: str, label: str) -> Callable[..., Any]:
    namespace: dict[str, Any] = {}
    try:
        exec(compile(code, f"<ScriptUDF {label}>", "exec"), namespace)
    except SyntaxError as exc:
        raise ByzerError(
            f"ScriptUDF {label}: the code is not valid Python: {exc.msg} (line {exc.lineno})"
        ) from exc
    function = namespace.get(method)
    if not callable(function):
        raise ByzerError(f"ScriptUDF {label}: the code defines no function named '{method}'")
    parameters = list(inspect.signature(function).parameters)
    if parameters and parameters[0] == "self":
        # Byzer's Python UDFs are written as methods: ``def apply(self, a)``.
        method_function = function

        def as_method(*args: Any) -> Any:
            return method_function(None, *args)

        return as_method
    return function


class ScriptUDF(ET):
    name = "ScriptUDF"
    alg_type = "udf"
    doc = "Registers Python code as a SQL function: register ScriptUDF.`` as NAME where code=... and dataType=..."
    params = (
        ETParam("code", "the Python code defining the function", required=True),
        ETParam(
            "lang",
            "the language of the code (default scala, or python when the code is Python)",
            values=("scala", "java", "python"),
        ),
        ETParam("udfType", "udf, or udaf (scala: a UserDefinedAggregateFunction class)", default="udf"),
        ETParam("className", "scala/java: the class holding the method (or the udaf class)"),
        ETParam(
            "dataType", "the Spark type the function returns (e.g. string, array(string))", default="string"
        ),
        ETParam("methodName", "the function in the code to call", default="apply"),
    )
    example = """register ScriptUDF.`` as plus_one where lang="python" and dataType="integer"
and code='''
def apply(self, a):
    return a + 1
''';
select plus_one(1) as two as t;"""

    def run(self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]) -> None:
        raise ByzerError(
            "ScriptUDF is used with register: register ScriptUDF.`` as NAME where code='''...'''"
        )

    def register(self, ctx: ETContext, path: str, function: str, options: dict[str, str]) -> None:
        from byzer_engine.runtime.ets import jvm_udf

        code = options.get("code")
        if not code:
            raise ByzerError("ScriptUDF needs code='''...'''")
        lang = (options.get("lang") or jvm_udf.guess_lang(code)).lower()
        if lang not in {"python", "scala", "java"}:
            raise ByzerError(f"ScriptUDF: unknown lang '{lang}' (scala, java or python)")
        Policy.from_config(ctx.config).require(SCRIPT_UDF, f"ScriptUDF (it runs {lang} code)")
        if lang == "scala":
            jvm_udf.register_scala(ctx, function, code, options)
            return
        if lang == "java":
            jvm_udf.register_java(ctx, function, code, options)
            return
        if options.get("udfType", "udf").lower() != "udf":
            raise ByzerError('ScriptUDF: udfType="udaf" needs lang="scala"')
        compiled = compile_function(code, options.get("methodName", "apply"), function)
        return_type = byzer_type_to_ddl(options.get("dataType", "string"))
        ctx.spark.udf.register(function, compiled, return_type)
