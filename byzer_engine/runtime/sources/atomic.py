"""File writes that never lose the old data: ``overwrite`` writes a hidden sibling, then swaps.

Spark's own overwrite deletes the target before its job runs, so a job that fails midway leaves
nothing behind. Here the new data is written next to the target (``.NAME.byzer-tmp-UUID``, hidden
from readers of the parent folder); only when that write succeeded is the old folder renamed away and
the new one renamed into place. It also makes ``save overwrite t as parquet.`p` `` work when ``t``
was loaded from ``p``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from byzer_engine.lang.errors import ByzerRuntimeError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from byzer_engine.runtime.sources.base import SourceContext


class HadoopFiles:
    """The Hadoop FileSystem of a path, through the JVM (works for file:, hdfs:, s3a:, ...)."""

    def __init__(self, spark: SparkSession, path: str) -> None:
        jvm: Any = spark._jvm  # type: ignore[attr-defined]
        conf = spark._jsparkSession.sessionState().newHadoopConf()  # type: ignore[attr-defined]
        self._jvm = jvm
        self.path = jvm.org.apache.hadoop.fs.Path(path)
        self.fs = self.path.getFileSystem(conf)

    def sibling(self, tag: str) -> Any:
        name = self.path.getName()
        return self._jvm.org.apache.hadoop.fs.Path(
            self.path.getParent(), f".{name}.byzer-{tag}-{uuid.uuid4().hex}"
        )

    def child(self, name: str) -> Any:
        return self._jvm.org.apache.hadoop.fs.Path(self.path, name)

    def exists(self, path: Any = None) -> bool:
        return bool(self.fs.exists(path if path is not None else self.path))

    def delete(self, path: Any) -> None:
        self.fs.delete(path, True)

    def rename(self, source: Any, target: Any) -> None:
        if not self.fs.rename(source, target):
            raise ByzerRuntimeError(f"could not rename {source.toString()} to {target.toString()}")

    def mkdirs(self, path: Any) -> None:
        self.fs.mkdirs(path)

    def read_bytes(self, path: Any) -> bytes:
        stream = self.fs.open(path)
        try:
            out = self._jvm.java.io.ByteArrayOutputStream()
            self._jvm.org.apache.hadoop.io.IOUtils.copyBytes(stream, out, 65536, False)
            return bytes(out.toByteArray())
        finally:
            stream.close()

    def write_bytes(self, path: Any, data: bytes) -> None:
        stream = self.fs.create(path, True)
        try:
            stream.write(bytearray(data))
        finally:
            stream.close()


def has_jvm(spark: SparkSession) -> bool:
    return getattr(spark, "_jvm", None) is not None


Writer = Callable[[str, str], None]


def write_atomically(spark: SparkSession, path: str, mode: str, write: Writer) -> None:
    """Runs ``write(target, spark_mode)`` under Byzer's save modes, with ``overwrite`` done by swap.

    Except under Spark Connect (no file system access from here: Spark's own modes apply), ``write``
    gets ``append`` or ``errorifexists`` and a target that does not exist unless appending.
    """
    mode = mode.lower()
    if not has_jvm(spark):
        write(path, {"errorifexists": "error"}.get(mode, mode))
        return
    files = HadoopFiles(spark, path)
    exists = files.exists()
    if mode == "ignore" and exists:
        return
    if mode in {"errorifexists", "error"} and exists:
        raise ByzerRuntimeError(f"path {path} already exists (use save overwrite or append)")
    if mode == "append" or not exists:
        write(path, "append" if mode == "append" else "errorifexists")
        return
    staged = files.sibling("tmp")
    try:
        write(staged.toString(), "errorifexists")
    except BaseException:
        if files.exists(staged):
            files.delete(staged)
        raise
    old = files.sibling("old")
    files.rename(files.path, old)
    try:
        files.rename(staged, files.path)
    except BaseException:
        files.rename(old, files.path)  # put the old data back
        raise
    files.delete(old)


def write_files(
    ctx: SourceContext,
    df: DataFrame,
    format_name: str,
    path: str,
    mode: str,
    options: dict[str, str],
    partition_by: tuple[str, ...],
) -> None:
    """A Spark file format written to ``path`` with the save mode, overwrite by swap."""

    def write(target: str, spark_mode: str) -> None:
        writer = df.write.format(format_name).options(**options)
        if partition_by:
            writer = writer.partitionBy(*partition_by)
        writer.mode(spark_mode).save(target)

    write_atomically(ctx.spark, path, mode, write)
