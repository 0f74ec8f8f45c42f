"""File writes that never lose the old data: ``overwrite`` writes a hidden sibling, then swaps.

Spark's own overwrite deletes the target before its job runs, so a job that fails midway leaves
nothing behind. Here the new data is written next to the target (``.NAME.byzer-tmp-UUID``, hidden
from readers of the parent folder); only when that write succeeded is it swapped into place. On a
local file system the swap is one ``renameat2(RENAME_EXCHANGE)``: the path names the old folder or
the new one at every instant, never nothing; then the old one is deleted. Elsewhere (HDFS, object
stores) it is two renames. Two overwriters of one path each swap their own complete data in, one
after the other: the last one wins and neither leaves staging folders behind. Inside one engine, the
swap also waits for scripts still reading the old data (``path_locks``). It also makes
``save overwrite t as parquet.`p` `` work when ``t`` was loaded from ``p``.
"""

from __future__ import annotations

import ctypes
import os
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from byzer_engine.lang.errors import ByzerRuntimeError
from byzer_engine.runtime.sources.path_locks import swapping

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

    def local_path(self, path: Any = None) -> str | None:
        """The OS path of ``path`` when it is on the local file system, else None."""
        uri = (path if path is not None else self.path).toUri()
        scheme = uri.getScheme()
        if scheme not in (None, "file"):
            return None
        return str(uri.getPath())

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
    if mode == "append" or (not exists and mode != "overwrite"):
        write(path, "append" if mode == "append" else "errorifexists")
        return
    staged = files.sibling("tmp")
    try:
        write(staged.toString(), "errorifexists")
        with swapping(path):
            _swap_in(files, staged)
    except BaseException:
        if files.exists(staged):
            files.delete(staged)
        raise


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def exchange(first: str, second: str) -> bool:
    """Atomically swaps two local paths (Linux ``renameat2``); False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE)
    if result == 0:
        return True
    error = ctypes.get_errno()
    if error in {38, 22, 95}:  # ENOSYS, EINVAL, EOPNOTSUPP: not on this file system
        return False
    raise ByzerRuntimeError(f"could not swap {second} into place: {os.strerror(error)}")


def _swap_in(files: HadoopFiles, staged: Any) -> None:
    """Puts ``staged`` at the target path; afterwards ``staged`` holds the old data, if any (deleted)."""
    target_local, staged_local = files.local_path(), files.local_path(staged)
    if not files.exists():
        try:
            if target_local is not None and staged_local is not None:
                os.rename(staged_local, target_local)  # fails if another writer made it meanwhile
            else:
                files.rename(staged, files.path)
            return
        except (OSError, ByzerRuntimeError):
            if not files.exists():  # not a concurrent creator: a real failure
                raise
    if target_local is not None and staged_local is not None and exchange(staged_local, target_local):
        files.delete(staged)  # the old data, now at the staged name
        return
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
