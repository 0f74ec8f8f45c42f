"""What runs inside Ray worker processes: one ``DataServer`` per input partition, one ``CodeRunner``.

- A ``DataServer`` holds the Arrow record batches of one Spark partition (Spark tasks push them, see
  ``spark_io``). User code reads them once (``collect``, ``to_pandas`` ...) or has a function run over
  them right there (``map_iter``/``foreach``, data mode), and the server then holds that function's
  output batches, which Spark tasks pull back into the result DataFrame.
- The ``CodeRunner`` runs the code block once, with ``context`` in its globals, and holds what
  ``build_result`` made (model mode).

Both set the ``!python env`` variables, change to the owner's home and map ``pyjava`` to ``byzer_engine.python.pyjava_compat`` in their
own process only (``pyjava_compat.install_alias``). Ray gives each actor its own worker process, and
the engine kills them all when the statement ends, however it ends.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from byzer_engine.python.schema import arrow_schema, chunked, rows_to_table, schema_from_json
from byzer_engine.python.usercode import CodePlace, UserCodeError, as_user_error, compile_code

OUTPUT_METHOD = "output_tables"


def _enter(home: str, env: dict[str, str]) -> None:
    from byzer_engine.python.pyjava_compat import install_alias

    os.environ.update(env)
    if home and os.path.isdir(home):
        os.chdir(home)
    install_alias()


def _node_ip() -> str:
    import ray

    try:
        return str(ray.util.get_node_ip_address())
    except Exception:
        return "127.0.0.1"


class DataServer:
    def __init__(
        self, index: int, home: str, env: dict[str, str], output_schema_json: str, block_rows: int
    ) -> None:
        _enter(home, env)
        self.index = index
        self.batches: list[Any] = []
        self.fetched = False
        self.applied = False
        self.output: list[Any] = []
        self.output_schema = arrow_schema(schema_from_json(output_schema_json))
        self.block_rows = block_rows

    def ready(self) -> tuple[str, int, int]:
        return (_node_ip(), os.getpid(), self.index)

    def put(self, batches: list[Any]) -> int:
        self.batches.extend(batches)
        return sum(b.num_rows for b in batches)

    def _take(self) -> list[Any]:
        if self.fetched:
            raise RuntimeError("input data can only be fetched once")
        self.fetched = True
        batches, self.batches = self.batches, []
        return batches

    def take(self) -> list[Any]:
        """The partition's batches, once."""
        return self._take()

    def take_refs(self) -> list[Any]:
        """The partition's batches as object refs (for Ray Data), once."""
        import pyarrow as pa
        import ray

        return [ray.put(pa.Table.from_batches([b])) for b in self._take()]

    def apply(self, function_bytes: bytes, kind: str, place: CodePlace) -> int:
        """Runs the user's function over this partition's rows; keeps its output as Arrow tables."""
        from ray import cloudpickle

        if self.applied:
            raise UserCodeError([], "RuntimeError: foreach/map_iter can run only once per run")
        self.applied = True
        function = cloudpickle.loads(function_bytes)
        rows = _rows(self._take())
        produced = 0
        try:
            output = (function(row) for row in rows) if kind == "foreach" else function(rows)
            for chunk in chunked(output if output is not None else (), self.block_rows):
                table = rows_to_table(chunk, self.output_schema)
                produced += table.num_rows
                self.output.append(table)
        except BaseException as exc:
            raise as_user_error(place, exc) from None
        return produced

    def run_code(self, place: CodePlace, setup: dict[str, Any]) -> dict[str, Any]:
        """Legacy ``!python on``: the code block over this partition only; its results are the output."""
        own = [s for s in setup["servers"] if s["port"] == self.index]
        context = _run_block(place, {**setup, "servers": own})
        if isinstance(context, str):
            return {"error": context}
        self.output.extend(context._results)
        return {"outputs": [own[0]["server_id"]] if own else []}

    def output_tables(self) -> list[Any]:
        return self.output


def _run_block(place: CodePlace, setup: dict[str, Any]) -> Any:
    """Runs a code block with ``context`` in its globals: the context, or the error's traceback text."""
    import builtins

    from byzer_engine.python.pyjava_compat.api.mlsql import PythonContext

    context = PythonContext._from_setup(setup, place)
    code = compile_code(place)
    namespace: dict[str, Any] = {
        "__name__": "__main__",
        "__builtins__": builtins,
        "context": context,
        "data_manager": context,
    }
    try:
        exec(code, namespace)
    except BaseException as exc:
        return as_user_error(place, exc).text()
    return context


def _rows(batches: list[Any]) -> Iterator[dict[str, Any]]:
    for batch in batches:
        yield from batch.to_pylist()


class CodeRunner:
    def __init__(self, home: str, env: dict[str, str]) -> None:
        _enter(home, env)
        self.context: Any = None

    def ready(self) -> tuple[str, int]:
        return (_node_ip(), os.getpid())

    def run(self, place: CodePlace, setup: dict[str, Any]) -> dict[str, Any]:
        """Runs the code block; ``{"outputs": [actor names]}`` or ``{"error": traceback text}``."""
        context = _run_block(place, setup)
        if isinstance(context, str):
            return {"error": context}
        self.context = context
        return {"outputs": context._output_names(setup["runner_name"])}

    def output_tables(self) -> list[Any]:
        return list(self.context._results) if self.context is not None else []


__all__ = ["OUTPUT_METHOD", "CodeRunner", "DataServer"]
