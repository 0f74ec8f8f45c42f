"""``pyjava.api.mlsql``: ``PythonContext`` (the ``context`` of a code block) and ``RayContext``.

Input rows come from the statement's data servers (one Ray actor per partition of the input table);
output rows go to ``build_result`` (model mode) or come from the function ``foreach``/``map_iter`` ran
on every data server (data mode). See docs/python.md.
"""

from __future__ import annotations

import io
import os
import tarfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from byzer_engine.python.schema import arrow_schema, chunked, rows_to_table, schema_from_json
from byzer_engine.python.usercode import CodePlace

DATA_MODE_MESSAGE = "Please setup dataMode as data instead of model"
FILE_CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class DataServerInfo:
    """One input partition: ``host`` is the node it lives on, ``port`` the partition index."""

    host: str
    port: int
    timezone: str
    server_id: str


def _actor(server: DataServerInfo, namespace: str) -> Any:
    import ray

    return ray.get_actor(server.server_id, namespace=namespace)


def _get(refs: Any) -> Any:
    """``ray.get`` that lets a user error raised in a data server reach the user as such."""
    import ray

    try:
        return ray.get(refs)
    except ray.exceptions.RayTaskError as exc:
        cause = getattr(exc, "cause", None)
        if isinstance(cause, BaseException):
            raise cause from None
        raise


class PythonContext:
    """``context`` (alias ``data_manager``) in a code block's globals."""

    def __init__(
        self,
        conf: Mapping[str, str] | None = None,
        servers: list[DataServerInfo] | None = None,
        *,
        output_schema_json: str = "",
        input_schema_json: str = "",
        data_mode: str = "model",
        namespace: str = "byzer",
        place: CodePlace | None = None,
    ) -> None:
        self._conf = dict(conf or {})
        self._servers = list(servers or [])
        self._output_schema_json = output_schema_json
        self._input_schema_json = input_schema_json
        self._data_mode = data_mode
        self._namespace = namespace
        self._place = place
        self._results: list[Any] = []
        self._mapped = False

    @classmethod
    def _from_setup(cls, setup: Mapping[str, Any], place: CodePlace) -> PythonContext:
        return cls(
            setup["conf"],
            [DataServerInfo(**s) for s in setup["servers"]],
            output_schema_json=setup["output_schema_json"],
            input_schema_json=setup.get("input_schema_json", ""),
            data_mode=setup["data_mode"],
            namespace=setup["namespace"],
            place=place,
        )

    # -- settings ------------------------------------------------------------------------------------
    @property
    def conf(self) -> dict[str, str]:
        return self._conf

    @property
    def data_mode(self) -> str:
        return self._data_mode

    # -- input ---------------------------------------------------------------------------------------
    def data_servers(self) -> list[DataServerInfo]:
        return list(self._servers)

    def fetch_once_as_batches(self, servers: list[DataServerInfo] | None = None) -> Iterator[Any]:
        for server in self._servers if servers is None else servers:
            yield from _get(_actor(server, self._namespace).take.remote())

    def fetch_once_as_rows(self, servers: list[DataServerInfo] | None = None) -> Iterator[dict[str, Any]]:
        for batch in self.fetch_once_as_batches(servers):
            yield from batch.to_pylist()

    def _input_schema(self) -> Any:
        if self._input_schema_json:
            return arrow_schema(schema_from_json(self._input_schema_json))
        return None

    # -- output --------------------------------------------------------------------------------------
    def _schema(self) -> Any:
        return arrow_schema(schema_from_json(self._output_schema_json))

    def build_result(self, items: Iterable[Mapping[str, Any]], block_size: int = 1024) -> None:
        """The output rows (dicts), converted to the declared schema ``block_size`` rows at a time."""
        schema = self._schema()
        for chunk in chunked(items, max(1, int(block_size))):
            self._results.append(rows_to_table(chunk, schema))

    def build_result_from_dataframe(self, df: Any, block_size: int = 1024) -> None:
        self.build_result(df.to_dict("records"), block_size)

    def build_result_from_dir(self, path: str) -> None:
        """A directory packed as rows ``(start, offset, value)`` (schema ``file``)."""
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            for name in sorted(os.listdir(path)):
                tar.add(os.path.join(path, name), arcname=name)
        data = buffer.getvalue()
        self.build_result(
            {
                "start": start,
                "offset": len(data[start : start + FILE_CHUNK_BYTES]),
                "value": data[start : start + FILE_CHUNK_BYTES],
            }
            for start in range(0, len(data), FILE_CHUNK_BYTES)
        )

    def _map(self, function: Callable[..., Any], kind: str) -> list[DataServerInfo]:
        from ray import cloudpickle

        if self._data_mode != "data":
            raise RuntimeError(DATA_MODE_MESSAGE)
        if self._mapped:
            raise RuntimeError("foreach/map_iter can run only once per run")
        self._mapped = True
        payload = cloudpickle.dumps(function)
        calls = [_actor(s, self._namespace).apply.remote(payload, kind, self._place) for s in self._servers]
        # A UserCodeError raised by the function on a server passes through as it is.
        _get(calls)
        return self.data_servers()

    def _output_names(self, runner_name: str) -> list[str]:
        if self._mapped:
            return [s.server_id for s in self._servers]
        return [runner_name] if self._results else []


class RayContext:
    """``RayContext.connect(globals(), url)``: the input and output of a code block, with Ray."""

    def __init__(self, context: PythonContext, url: str | None) -> None:
        self.context = context
        self.url = url
        self.is_setup = url is not None

    @staticmethod
    def connect(globals_dict: Mapping[str, Any], url: str | None = None, **_: Any) -> RayContext:
        """The code already runs inside the engine's Ray (``url`` is accepted as Byzer writes it)."""
        context = globals_dict.get("context") or globals_dict.get("data_manager")
        if not isinstance(context, PythonContext):
            raise RuntimeError("RayContext.connect(globals(), ...) must be called from a Byzer code block")
        return RayContext(context, url)

    def conf(self) -> dict[str, str]:
        return self.context.conf

    def data_servers(self) -> list[DataServerInfo]:
        return self.context.data_servers()

    def data_servers_in_ray(self) -> list[DataServerInfo]:
        return self.context.data_servers()

    def collect(self) -> Iterator[dict[str, Any]]:
        return self.context.fetch_once_as_rows()

    @staticmethod
    def collect_from(servers: list[DataServerInfo], namespace: str = "byzer") -> Iterator[dict[str, Any]]:
        for server in servers:
            for batch in _get(_actor(server, namespace).take.remote()):
                yield from batch.to_pylist()

    @staticmethod
    def fetch_once_as_rows(server: DataServerInfo, namespace: str = "byzer") -> Iterator[dict[str, Any]]:
        return RayContext.collect_from([server], namespace)

    def to_pandas(self) -> Any:
        import pyarrow as pa

        batches = list(self.context.fetch_once_as_batches())
        if batches:
            return pa.Table.from_batches(batches).to_pandas()
        schema = self.context._input_schema()
        return schema.empty_table().to_pandas() if schema is not None else pa.table({}).to_pandas()

    def to_dataset(self) -> Any:
        import ray.data

        refs: list[Any] = []
        for server in self.context.data_servers():
            refs.extend(_get(_actor(server, self.context._namespace).take_refs.remote()))
        return ray.data.from_arrow_refs(refs)

    def foreach(self, function: Callable[[dict[str, Any]], Mapping[str, Any]]) -> list[DataServerInfo]:
        return self.context._map(function, "foreach")

    def map_iter(
        self, function: Callable[[Iterator[dict[str, Any]]], Iterable[Mapping[str, Any]]]
    ) -> list[DataServerInfo]:
        return self.context._map(function, "map_iter")

    def build_result(self, items: Iterable[Mapping[str, Any]], block_size: int = 1024) -> None:
        self.context.build_result(items, block_size)

    def build_result_from_dataframe(self, df: Any, block_size: int = 1024) -> None:
        self.context.build_result_from_dataframe(df, block_size)

    def build_result_from_dir(self, path: str) -> None:
        self.context.build_result_from_dir(path)

    def fetch_as_dir(self, path: str) -> str:
        """Unpacks a ``file``-schema input table (rows start, offset, value) into ``path``."""
        rows = sorted(self.collect(), key=lambda row: row["start"])
        data = b"".join(bytes(row["value"]) for row in rows)
        os.makedirs(path, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(data), mode="r") as tar:
            tar.extractall(path, filter="data")
        return path


__all__ = ["DATA_MODE_MESSAGE", "DataServerInfo", "PythonContext", "RayContext"]
