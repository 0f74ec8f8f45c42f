"""``!hdfs ARGS`` / ``!fs ARGS``: file commands on the owner's home through Hadoop's FileSystem API.

Every path goes through the owner's path resolution (relative paths live in the home; leaving it is
refused unless ``allow_any_path``), and the Hadoop FileSystem of the resolved path does the work, so
the commands behave the same on ``file:``, ``hdfs:``, ``s3a:`` or any file system Spark can reach.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime.ets.base import ET, ETContext, ETParam

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

LS_SCHEMA = "permission string, owner string, group string, size long, modification_time string, path string, is_dir boolean"
TAIL_BYTES = 1024


@dataclass
class _Call:
    ctx: ETContext
    flags: set[str]
    paths: list[str]

    def jvm(self) -> Any:
        return self.ctx.spark._jvm  # type: ignore[attr-defined]

    def fs_path(self, user_path: str) -> tuple[Any, Any]:
        """The Hadoop ``(FileSystem, Path)`` of a user path, resolved in the owner's home."""
        resolved = self.ctx.resolve_path(user_path)
        jvm = self.jvm()
        conf = self.ctx.spark._jsparkSession.sessionState().newHadoopConf()  # type: ignore[attr-defined]
        path = jvm.org.apache.hadoop.fs.Path(resolved)
        return path.getFileSystem(conf), path

    def shown(self, path: Any) -> str:
        """A path as the user sees it: relative to the home when inside it."""
        text = str(path.toUri().getPath())
        home = self.ctx.home.rstrip("/")
        if text == home:
            return "."
        return text[len(home) + 1 :] if text.startswith(home + "/") else text

    def need(self, count: int, usage: str) -> list[str]:
        if len(self.paths) < count:
            raise ByzerError(f"!fs {usage}")
        return self.paths


def _read_all(fs: Any, path: Any, jvm: Any) -> bytes:
    stream = fs.open(path)
    try:
        out = jvm.java.io.ByteArrayOutputStream()
        jvm.org.apache.hadoop.io.IOUtils.copyBytes(stream, out, 65536, False)
        return bytes(out.toByteArray())
    finally:
        stream.close()


def _ls(call: _Call) -> DataFrame:
    rows = []
    for user_path in call.paths or [""]:
        fs, path = call.fs_path(user_path)
        if not fs.exists(path):
            raise ByzerError(f"!fs -ls: {user_path or '.'}: no such file or folder")
        for status in fs.listStatus(path):
            rows.append(
                (
                    ("d" if status.isDirectory() else "-") + status.getPermission().toString(),
                    status.getOwner(),
                    status.getGroup(),
                    int(status.getLen()),
                    dt.datetime.fromtimestamp(status.getModificationTime() / 1000).strftime("%Y-%m-%d %H:%M"),
                    call.shown(status.getPath()),
                    bool(status.isDirectory()),
                )
            )
    return call.ctx.spark.createDataFrame(sorted(rows, key=lambda r: r[5]), LS_SCHEMA)


def _cat(call: _Call, tail: bool = False) -> DataFrame:
    rows = []
    for user_path in call.need(1, "-cat PATH ..." if not tail else "-tail PATH"):
        fs, path = call.fs_path(user_path)
        if not fs.isFile(path):
            raise ByzerError(f"!fs {'-tail' if tail else '-cat'}: {user_path}: not a file")
        data = _read_all(fs, path, call.jvm())
        if tail:
            data = data[-TAIL_BYTES:]
        rows.append((call.shown(path), data.decode("utf-8", errors="replace")))
    return call.ctx.spark.createDataFrame(rows, "path string, content string")


def _done(call: _Call, command: str, done: list[tuple[str, bool]]) -> DataFrame:
    rows = [(command, path, ok) for path, ok in done]
    return call.ctx.spark.createDataFrame(rows, "command string, path string, done boolean")


def _rm(call: _Call) -> DataFrame:
    done = []
    recursive = bool({"-r", "-R", "-rf", "-fr"} & call.flags)
    force = bool({"-f", "-rf", "-fr"} & call.flags)
    for user_path in call.need(1, "-rm [-r] PATH ..."):
        fs, path = call.fs_path(user_path)
        if not fs.exists(path):
            if force:
                done.append((user_path, False))
                continue
            raise ByzerError(f"!fs -rm: {user_path}: no such file or folder")
        if fs.getFileStatus(path).isDirectory() and not recursive:
            raise ByzerError(f"!fs -rm: {user_path} is a folder (use -rm -r)")
        done.append((call.shown(path), bool(fs.delete(path, recursive))))
    return _done(call, "rm", done)


def _mkdir(call: _Call) -> DataFrame:
    done = []
    for user_path in call.need(1, "-mkdir [-p] PATH ..."):
        fs, path = call.fs_path(user_path)
        if fs.exists(path):
            if "-p" in call.flags:
                done.append((call.shown(path), False))
                continue
            raise ByzerError(f"!fs -mkdir: {user_path}: already exists")
        parent = path.getParent()
        if "-p" not in call.flags and parent is not None and not fs.exists(parent):
            raise ByzerError(f"!fs -mkdir: {user_path}: the parent folder does not exist (use -mkdir -p)")
        done.append((call.shown(path), bool(fs.mkdirs(path))))
    return _done(call, "mkdir", done)


def _target(call: _Call, command: str) -> tuple[list[tuple[Any, Any, str]], Any, Any]:
    paths = call.need(2, f"-{command} SOURCE ... TARGET")
    target_fs, target = call.fs_path(paths[-1])
    sources = []
    for user_path in paths[:-1]:
        fs, path = call.fs_path(user_path)
        if not fs.exists(path):
            raise ByzerError(f"!fs -{command}: {user_path}: no such file or folder")
        sources.append((fs, path, user_path))
    if len(sources) > 1 and not (target_fs.exists(target) and target_fs.getFileStatus(target).isDirectory()):
        raise ByzerError(f"!fs -{command}: with several sources, {paths[-1]} must be a folder")
    return sources, target_fs, target


def _destination(call: _Call, target_fs: Any, target: Any, source: Any) -> Any:
    if target_fs.exists(target) and target_fs.getFileStatus(target).isDirectory():
        return call.jvm().org.apache.hadoop.fs.Path(target, source.getName())
    return target


def _mv(call: _Call) -> DataFrame:
    sources, target_fs, target = _target(call, "mv")
    done = []
    for _fs, path, _user in sources:
        destination = _destination(call, target_fs, target, path)
        if target_fs.exists(destination):
            raise ByzerError(f"!fs -mv: {call.shown(destination)} already exists")
        done.append((call.shown(destination), bool(target_fs.rename(path, destination))))
    return _done(call, "mv", done)


def _cp(call: _Call) -> DataFrame:
    sources, target_fs, target = _target(call, "cp")
    jvm = call.jvm()
    conf = call.ctx.spark._jsparkSession.sessionState().newHadoopConf()  # type: ignore[attr-defined]
    done = []
    for fs, path, _user in sources:
        destination = _destination(call, target_fs, target, path)
        if target_fs.exists(destination) and "-f" not in call.flags:
            raise ByzerError(f"!fs -cp: {call.shown(destination)} already exists (use -cp -f)")
        ok = jvm.org.apache.hadoop.fs.FileUtil.copy(fs, path, target_fs, destination, False, True, conf)
        done.append((call.shown(destination), bool(ok)))
    return _done(call, "cp", done)


def _du(call: _Call) -> DataFrame:
    rows = []
    summary_only = "-s" in call.flags
    for user_path in call.paths or [""]:
        fs, path = call.fs_path(user_path)
        if not fs.exists(path):
            raise ByzerError(f"!fs -du: {user_path or '.'}: no such file or folder")
        statuses = [fs.getFileStatus(path)] if summary_only else list(fs.listStatus(path))
        for status in statuses:
            rows.append(
                (int(fs.getContentSummary(status.getPath()).getLength()), call.shown(status.getPath()))
            )
    return call.ctx.spark.createDataFrame(sorted(rows, key=lambda r: r[1]), "size long, path string")


def _count(call: _Call) -> DataFrame:
    rows = []
    for user_path in call.paths or [""]:
        fs, path = call.fs_path(user_path)
        if not fs.exists(path):
            raise ByzerError(f"!fs -count: {user_path or '.'}: no such file or folder")
        summary = fs.getContentSummary(path)
        rows.append(
            (
                int(summary.getDirectoryCount()),
                int(summary.getFileCount()),
                int(summary.getLength()),
                call.shown(path),
            )
        )
    return call.ctx.spark.createDataFrame(
        rows, "dir_count long, file_count long, content_size long, path string"
    )


COMMANDS: dict[str, Callable[[_Call], DataFrame]] = {
    "-ls": _ls,
    "-cat": _cat,
    "-tail": lambda call: _cat(call, tail=True),
    "-rm": _rm,
    "-rmr": lambda call: _rm(_Call(call.ctx, {*call.flags, "-r"}, call.paths)),
    "-mkdir": _mkdir,
    "-mv": _mv,
    "-cp": _cp,
    "-du": _du,
    "-count": _count,
}
FLAGS = {"-r", "-R", "-f", "-rf", "-fr", "-p", "-s", "-h"}


class HDFSCommand(ET):
    name = "HDFSCommand"
    alg_type = "command"
    doc = "File commands on the owner's home (what !hdfs and !fs run): " + ", ".join(COMMANDS)
    params = (ETParam("parameters", "the command and its arguments as a JSON list", required=True),)
    example = "!fs -mkdir -p data/raw;\n!fs -ls data;"

    def run(self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]) -> DataFrame:
        if getattr(ctx.spark, "_jvm", None) is None:
            raise ByzerError("!fs needs a local or cluster Spark session (not Spark Connect)")
        try:
            args = [str(a) for a in json.loads(options.get("parameters", "[]"))]
        except json.JSONDecodeError as exc:
            raise ByzerError(f"HDFSCommand: parameters must be a JSON list: {exc}") from None
        if not args or args[0] not in COMMANDS:
            given = f" '{args[0]}'" if args else ""
            raise ByzerError(f"!fs: unknown command{given}; known: {' '.join(COMMANDS)}")
        flags = {a for a in args[1:] if a in FLAGS}
        paths = [a for a in args[1:] if a not in FLAGS]
        return COMMANDS[args[0]](_Call(ctx, flags, paths))
