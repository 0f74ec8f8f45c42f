"""ScriptUDF in ``lang="scala"`` and ``lang="java"``: the code is compiled in the Spark JVM.

Scala is compiled by the Scala compiler Spark ships (``scala-compiler``), Java by Janino (also shipped
with Spark). The classes go into a jar that is added to the session (``ADD JAR``), so the executors
load them like any other user jar; then the function is registered with the owner's session.

- Scala UDF: the code defines a method (``def apply(a: Double, b: Double) = a + b``), or a class
  (``className``) with that method; ``methodName`` picks it (default ``apply``). Types come from the
  Scala signature.
- Scala UDAF (``udfType="udaf"``): the code defines a class extending Spark's
  ``UserDefinedAggregateFunction`` (``className``, or the first such class in the code).
- Java UDF: the code defines a class (``className``, or the first public class) with the method; its
  parameter types come from the compiled method, and the result type is ``dataType``.
"""

from __future__ import annotations

import os
import re
import tempfile
import uuid
import zipfile
from typing import TYPE_CHECKING, Any

from byzer_engine.lang.errors import ByzerError

if TYPE_CHECKING:
    from byzer_engine.runtime.ets.base import ETContext

_CLASS = re.compile(r"^\s*(?:public\s+|final\s+|abstract\s+)*class\s+(\w+)", re.M)
_UDAF_CLASS = re.compile(r"\bclass\s+(\w+)[^{]*\bextends\s+UserDefinedAggregateFunction\b")
_PYTHON_DEF = re.compile(r"^\s*def\s+\w+\s*\([^)]*\)\s*(->\s*[^:]+)?:\s*(#.*)?$", re.M)
_JAVA_BOXES = {
    "int": ("Integer", "intValue"),
    "long": ("Long", "longValue"),
    "double": ("Double", "doubleValue"),
    "float": ("Float", "floatValue"),
    "boolean": ("Boolean", "booleanValue"),
    "short": ("Short", "shortValue"),
    "byte": ("Byte", "byteValue"),
    "char": ("Character", "charValue"),
}


def guess_lang(code: str) -> str:
    """Byzer's default is scala; Python code (``def f(x):`` lines) is recognised as python."""
    return "python" if _PYTHON_DEF.search(code) else "scala"


def _jvm(ctx: ETContext) -> Any:
    jvm = getattr(ctx.spark, "_jvm", None)
    if jvm is None:
        raise ByzerError(
            "ScriptUDF in scala or java needs a local or cluster Spark session (not Spark Connect)"
        )
    return jvm


def _udf_folder(ctx: ETContext) -> str:
    folder = os.path.join(str(getattr(ctx.config, "data_root", tempfile.gettempdir())), "udf-jars")
    os.makedirs(folder, exist_ok=True)
    return folder


def _add_jar(ctx: ETContext, classes: dict[str, bytes], tag: str) -> Any:
    """Writes the classes into a jar, adds it to the session; the session's class loader."""
    jar = os.path.join(_udf_folder(ctx), f"{tag}.jar")
    with zipfile.ZipFile(jar, "w") as archive:
        archive.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
        for name, data in classes.items():
            archive.writestr(name, data)
    ctx.spark.sql(f"ADD JAR '{jar}'")
    return ctx.spark._jsparkSession.sharedState().jarClassLoader()  # type: ignore[attr-defined]


def _new_instance(ctx: ETContext, loader: Any, class_name: str) -> Any:
    jvm = _jvm(ctx)
    gateway: Any = ctx.spark.sparkContext._gateway
    cls = jvm.java.lang.Class.forName(class_name, True, loader)
    constructor = cls.getDeclaredConstructor(gateway.new_array(jvm.java.lang.Class, 0))
    constructor.setAccessible(True)
    return constructor.newInstance(gateway.new_array(jvm.java.lang.Object, 0))


# -- scala ---------------------------------------------------------------------------------------------
def _compile_scala(ctx: ETContext, source: str, label: str) -> dict[str, bytes]:
    jvm = _jvm(ctx)
    out = tempfile.mkdtemp(prefix="byzer-scala-", dir=_udf_folder(ctx))
    file = os.path.join(out, "Udf.scala")
    with open(file, "w", encoding="utf-8") as handle:
        handle.write(source)
    settings = jvm.scala.tools.nsc.Settings()
    settings.processArgumentString(f"-usejavacp -nowarn -d {out}")
    reporter = jvm.scala.tools.nsc.reporters.StoreReporter(settings)
    compiler = jvm.scala.tools.nsc.Global(settings, reporter)
    run = getattr(jvm.scala.tools.nsc, "Global$Run")(compiler)
    files = jvm.java.util.ArrayList()
    files.add(file)
    run.compile(jvm.scala.jdk.javaapi.CollectionConverters.asScala(files).toList())
    if reporter.hasErrors():
        messages = []
        infos = jvm.scala.jdk.javaapi.CollectionConverters.asJava(reporter.infos()).toArray()
        for info in infos:
            if "ERROR" in str(info.severity()).upper():
                line = info.pos().line() if info.pos().isDefined() else 0
                messages.append(f"line {line}: {info.msg()}")
        raise ByzerError(f"ScriptUDF {label}: the Scala code does not compile: {'; '.join(messages[:3])}")
    classes: dict[str, bytes] = {}
    for folder, _, names in os.walk(out):
        for name in names:
            if name.endswith(".class"):
                path = os.path.join(folder, name)
                with open(path, "rb") as handle:
                    classes[os.path.relpath(path, out)] = handle.read()
    return classes


def register_scala(ctx: ETContext, function: str, code: str, options: dict[str, str]) -> None:
    tag = f"byzer_udf_{uuid.uuid4().hex[:12]}"
    udaf = options.get("udfType", "udf").lower() == "udaf"
    class_name = options.get("className")
    method = options.get("methodName", "apply")
    if udaf:
        match = _UDAF_CLASS.search(code)
        class_name = class_name or (match.group(1) if match else None)
        if not class_name:
            raise ByzerError(
                f"ScriptUDF {function}: a scala udaf needs a class extending UserDefinedAggregateFunction"
            )
        body = f"{code}\n"
        registration = f'spark.udf.register("{function}", new {class_name}())'
    elif class_name:
        body = f"{code}\nobject ByzerImpl extends {class_name}\n"
        registration = f'spark.udf.register("{function}", ByzerImpl.{method} _)'
    else:
        body = f"object ByzerImpl {{\n{code}\n}}\n"
        registration = f'spark.udf.register("{function}", ByzerImpl.{method} _)'
    source = (
        f"package {tag}\n{body}\nclass ByzerRegistrar {{\n"
        f"  def register(spark: org.apache.spark.sql.SparkSession): Unit = {{ {registration} }}\n}}\n"
    )
    loader = _add_jar(ctx, _compile_scala(ctx, source, function), tag)
    _new_instance(ctx, loader, f"{tag}.ByzerRegistrar").register(ctx.spark._jsparkSession)  # type: ignore[attr-defined]


# -- java ----------------------------------------------------------------------------------------------
def _janino(ctx: ETContext, source: str, label: str) -> Any:
    jvm = _jvm(ctx)
    compiler = jvm.org.codehaus.janino.SimpleCompiler()
    try:
        compiler.cook(source)
    except Exception as exc:
        text = str(exc)
        detail = (
            text.split("CompileException:", 1)[1].strip().splitlines()[0]
            if "CompileException:" in text
            else text.splitlines()[0]
        )
        raise ByzerError(f"ScriptUDF {label}: the Java code does not compile: {detail}") from None
    return compiler


def _java_argument(index: int, type_name: str) -> tuple[str, str]:
    """(expression converting argument ``index``, null check) for a parameter of ``type_name``."""
    name = f"a{index}"
    if type_name in _JAVA_BOXES:
        box, unbox = _JAVA_BOXES[type_name]
        return f"((java.lang.{box}) {name}).{unbox}()", f"{name} == null"
    return f"(({type_name}) {name})", ""


def register_java(ctx: ETContext, function: str, code: str, options: dict[str, str]) -> None:
    from byzer_engine.runtime.ets.script_udf import byzer_type_to_ddl

    jvm = _jvm(ctx)
    match = _CLASS.search(code)
    class_name = options.get("className") or (match.group(1) if match else None)
    if not class_name:
        raise ByzerError(f"ScriptUDF {function}: the Java code defines no class")
    method_name = options.get("methodName", "apply")
    probe = _janino(ctx, code, function)
    user_class = probe.getClassLoader().loadClass(class_name)
    methods = [m for m in user_class.getMethods() if m.getName() == method_name]
    if not methods:
        raise ByzerError(f"ScriptUDF {function}: class {class_name} has no public method '{method_name}'")
    parameters = [str(p.getName()) for p in methods[0].getParameterTypes()]
    if len(parameters) > 22:
        raise ByzerError(f"ScriptUDF {function}: at most 22 arguments")
    arity = len(parameters)
    wrapper = f"ByzerJavaUdf_{uuid.uuid4().hex[:12]}"
    converted = [_java_argument(i, t) for i, t in enumerate(parameters)]
    nulls = " || ".join(check for _, check in converted if check)
    guard = f"if ({nulls}) return null;" if nulls else ""
    args = ", ".join(f"Object a{i}" for i in range(arity))
    call = ", ".join(expression for expression, _ in converted)
    source = (
        f"{code}\n"
        f"class {wrapper} implements org.apache.spark.sql.api.java.UDF{arity} {{\n"
        f"  private transient {class_name} impl;\n"
        f"  public Object call({args}) throws Exception {{\n"
        f"    {guard}\n"
        f"    if (impl == null) impl = new {class_name}();\n"
        f"    return impl.{method_name}({call});\n"
        f"  }}\n}}\n"
    )
    compiler = _janino(ctx, source, function)
    classes = {
        f"{c.getThisClassName().replace('.', '/')}.class": bytes(c.toByteArray())
        for c in compiler.getClassFiles()
    }
    loader = _add_jar(ctx, classes, wrapper)
    instance = _new_instance(ctx, loader, wrapper)
    data_type = jvm.org.apache.spark.sql.types.DataType.fromDDL(
        byzer_type_to_ddl(options.get("dataType", "string"))
    )
    ctx.spark._jsparkSession.udf().register(function, instance, data_type)  # type: ignore[attr-defined]
