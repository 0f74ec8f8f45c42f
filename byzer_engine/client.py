"""A Python client for a ``byzer serve`` server (or any server speaking Byzer's HTTP API).

    from byzer_engine.client import Byzer

    with Byzer("http://127.0.0.1:9003", token="...") as byzer:
        rows = byzer.run("select 1 as a as t;")                     # [{"a": 1}]
        df = byzer.to_pandas("load csv.`data.csv` where header='true' as t;")
        statements = byzer.analyze("load csv.`x` as t;")

Errors come back as the engine's own exceptions (ByzerSyntaxError, ByzerRuntimeError, ByzerTimeout ...)
with the line and column the server reported, so ``err.render()`` points into the script.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx

from byzer_engine.errors import (
    ByzerAuthError,
    ByzerError,
    ByzerIncludeError,
    ByzerJobKilled,
    ByzerRuntimeError,
    ByzerSyntaxError,
    ByzerTimeout,
    Position,
)

if TYPE_CHECKING:
    import pandas

__all__ = ["Byzer", "error_from_response"]

_KINDS: dict[str, type[ByzerError]] = {
    cls.kind: cls
    for cls in (
        ByzerSyntaxError,
        ByzerIncludeError,
        ByzerRuntimeError,
        ByzerAuthError,
        ByzerJobKilled,
        ByzerTimeout,
    )
}
_STATUS_KINDS: dict[int, type[ByzerError]] = {
    401: ByzerAuthError,
    403: ByzerAuthError,
    408: ByzerTimeout,
    499: ByzerJobKilled,
}

# Python-style names accepted for the commonest fields, next to Byzer's own camelCase ones.
_FIELD_NAMES = {
    "job_name": "jobName",
    "job_type": "jobType",
    "timeout_ms": "timeout",
    "session_per_user": "sessionPerUser",
    "session_per_request": "sessionPerRequest",
    "include_schema": "includeSchema",
    "fetch_type": "fetchType",
    "output_size": "outputSize",
    "execute_mode": "executeMode",
    "skip_include": "skipInclude",
    "default_path_prefix": "defaultPathPrefix",
    "max_retries": "maxRetries",
    "run_async": "async",
}


def error_from_response(
    response: httpx.Response, script: str | None = None, file: str = "<script>"
) -> ByzerError:
    """The ByzerError a failed response stands for, with its position in ``script`` when known."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or "message" not in body:
        text = response.text.strip()[:500] or response.reason_phrase
        cls = _STATUS_KINDS.get(response.status_code, ByzerError)
        return cls(f"HTTP {response.status_code}: {text}")
    kind = str(body.get("kind") or "")
    cls = _KINDS.get(kind) or _STATUS_KINDS.get(response.status_code) or ByzerError
    position = _position(body, script, file)
    error = cls(str(body["message"]), position)
    if kind and cls is ByzerError:
        error.kind = kind  # keep the server's kind ("bad request", "internal error" ...)
    if isinstance(error, ByzerRuntimeError) and body.get("statement"):
        error.statement = str(body["statement"])
    return error


def _position(body: Mapping[str, Any], script: str | None, file: str) -> Position | None:
    line, column = body.get("line"), body.get("column")
    if not isinstance(line, int) or not isinstance(column, int):
        return None
    error_file = str(body.get("file") or file)
    line_text = str(body.get("line_text") or "")
    if not line_text and script is not None and error_file == file:
        lines = script.splitlines()
        line_text = lines[line - 1] if 0 < line <= len(lines) else ""
    return Position(error_file, line, column, line_text)


def _form_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


class Byzer:
    """Talks to one server. Thread-safe as httpx.Client is; use it as a context manager or close()."""

    def __init__(
        self,
        url: str = "http://127.0.0.1:9003",
        token: str | None = None,
        *,
        timeout_s: float | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        # Scripts can run for a long time: no read timeout unless asked; connecting must be quick.
        timeout = httpx.Timeout(timeout_s, connect=min(timeout_s or 10.0, 10.0))
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout, transport=transport)

    # -- scripts ------------------------------------------------------------------------------
    def run(
        self,
        script: str,
        *,
        owner: str = "admin",
        variables: Mapping[str, str] | None = None,
        **fields: Any,
    ) -> list[dict[str, Any]]:
        """Run a script; the rows of its last table. ``fields`` are /run/script fields (``jobName``,
        ``timeout`` in ms, ``outputSize``, ``sessionPerRequest`` ... or their snake_case names)."""
        body = self._run(script, owner=owner, variables=variables, fields=fields)
        if isinstance(body, dict) and "data" in body:
            data: list[dict[str, Any]] = body["data"]
            return data
        if not isinstance(body, list):
            raise ByzerError(f"unexpected answer from {self.url}/run/script: {str(body)[:200]}")
        return body

    def run_with_schema(
        self,
        script: str,
        *,
        owner: str = "admin",
        variables: Mapping[str, str] | None = None,
        **fields: Any,
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """The rows and the Spark schema (StructType JSON) of the last table."""
        body = self._run(script, owner=owner, variables=variables, fields={**fields, "includeSchema": True})
        return list(body.get("data") or []), dict(body.get("schema") or {})

    def to_pandas(
        self,
        script: str,
        *,
        owner: str = "admin",
        variables: Mapping[str, str] | None = None,
        **fields: Any,
    ) -> pandas.DataFrame:
        """The last table as a pandas DataFrame, with the table's columns even when it has no rows."""
        import pandas as pd

        rows, schema = self.run_with_schema(script, owner=owner, variables=variables, **fields)
        columns = [f["name"] for f in schema.get("fields", [])]
        return pd.DataFrame.from_records(rows, columns=columns or None)

    def analyze(self, script: str, **fields: Any) -> list[dict[str, Any]]:
        """The statements of a script as JSON (executeMode=analyze: parsed, not run)."""
        body = self._run(script, owner=None, variables=None, fields={**fields, "executeMode": "analyze"})
        return list(body)

    def submit(
        self,
        script: str,
        callback: str,
        *,
        owner: str = "admin",
        variables: Mapping[str, str] | None = None,
        **fields: Any,
    ) -> str:
        """Start a script asynchronously; its result is POSTed to ``callback``. Returns the job name."""
        fields = {**fields, "async": True, "callback": callback}
        body = self._run(script, owner=owner, variables=variables, fields=fields)
        return str(body["jobName"])

    def _run(
        self,
        script: str,
        *,
        owner: str | None,
        variables: Mapping[str, str] | None,
        fields: Mapping[str, Any],
    ) -> Any:
        form: dict[str, Any] = {"sql": script}
        if owner is not None:
            form["owner"] = owner
        for name, value in fields.items():
            if value is not None:
                form[_FIELD_NAMES.get(name, name)] = _form_value(value)
        for name, value in (variables or {}).items():
            form[f"context.{name}"] = str(value)
        return self._post("/run/script", form, script=script)

    # -- jobs, models, sessions ---------------------------------------------------------------
    def running_jobs(self) -> dict[str, dict[str, Any]]:
        """Jobs in flight, keyed by groupId."""
        body: dict[str, dict[str, Any]] = self._request("GET", "/runningjobs")
        return body

    def kill(self, job_name: str | None = None, *, group_id: str | None = None) -> bool:
        form = {k: v for k, v in (("jobName", job_name), ("groupId", group_id)) if v}
        return bool(self._post("/killjob", form).get("killed"))

    def predict(
        self,
        sql: str,
        data: list[Any],
        *,
        data_type: str = "string",
        owner: str = "admin",
        **fields: Any,
    ) -> list[dict[str, Any]]:
        """Apply ``sql`` (e.g. ``select chat(array(feature)) as value``) to rows built from ``data``."""
        form = {"sql": sql, "data": json.dumps(data), "dataType": data_type, "owner": owner}
        form.update({k: _form_value(v) for k, v in fields.items()})
        rows: list[dict[str, Any]] = self._post("/model/predict", form)
        return rows

    def logout(self, owner: str) -> bool:
        return bool(self._post("/user/logout", {"owner": owner}).get("closed"))

    def ready(self) -> bool:
        """Whether the server's engine is up (GET /health/readiness)."""
        try:
            return self._http.get("/health/readiness").status_code == 200
        except httpx.HTTPError:
            return False

    # -- plumbing -----------------------------------------------------------------------------
    def _post(self, path: str, form: Mapping[str, Any], *, script: str | None = None) -> Any:
        return self._request("POST", path, data=form, script=script)

    def _request(self, method: str, path: str, *, script: str | None = None, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ByzerError(f"cannot reach {self.url}: {exc}") from exc
        if response.is_error:
            raise error_from_response(response, script)
        try:
            return response.json()
        except ValueError:
            raise ByzerError(f"{self.url}{path} answered something that is not JSON") from None

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Byzer:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
