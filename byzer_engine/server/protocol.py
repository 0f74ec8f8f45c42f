"""The request and response shapes of the Byzer HTTP API, with Byzer's field names and defaults.

Byzer clients send form fields (every value a string: ``"true"``, ``"1000"``); the models accept them
as well as typed JSON bodies, because pydantic's lax mode turns ``"true"`` into ``True``. Fields a
client sends that the engine has no use for (``skipAuth``, ``skipGrammarValidate`` ...) are ignored,
as Byzer ignores unknown parameters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from byzer_engine.runtime.owner import OWNER_RULE, owner_name_problem

CONTEXT_PREFIX = "context."


def _check_owner(owner: str) -> str:
    """The engine's one owner-name rule (``byzer_engine.runtime.owner``), as a field validator."""
    if owner_name_problem(owner):
        raise ValueError(f"owner must be {OWNER_RULE}")
    return owner


Owner = Annotated[str, AfterValidator(_check_owner)]


def context_variables(params: Mapping[str, Any]) -> dict[str, str]:
    """``context.NAME=value`` fields (and a JSON ``context`` object) as script variables."""
    variables: dict[str, str] = {}
    nested = params.get("context")
    if isinstance(nested, Mapping):
        variables.update({str(k): _as_text(v) for k, v in nested.items()})
    for key, value in params.items():
        if key.startswith(CONTEXT_PREFIX) and len(key) > len(CONTEXT_PREFIX):
            variables[key[len(CONTEXT_PREFIX) :]] = _as_text(value)
    return variables


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


class _ByzerFields(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)


class RunScriptRequest(_ByzerFields):
    """``POST /run/script``. ``context.*`` fields arrive in ``context``."""

    sql: str = Field(description="the script")
    owner: Owner = Field("admin", description="who runs it: session variables, views and home are per owner")
    job_name: str | None = Field(None, alias="jobName", description="defaults to a uuid; used by /killjob")
    job_type: str = Field("script", alias="jobType")
    timeout: int = Field(-1, description="milliseconds; -1 for none; the job is cancelled past it")
    session_per_user: bool = Field(True, alias="sessionPerUser")
    session_per_request: bool = Field(False, alias="sessionPerRequest")
    include_schema: bool = Field(
        False,
        alias="includeSchema",
        description='the body becomes {"schema": StructType JSON, "data": [...]}',
    )
    fetch_type: Literal["collect", "take"] = Field("collect", alias="fetchType")
    output_size: int = Field(5000, alias="outputSize", ge=0, description="at most this many rows")
    execute_mode: Literal["query", "analyze", "explain"] = Field(
        "query",
        alias="executeMode",
        description=(
            "analyze: parse only, return the statements; explain: the explain table (each statement's "
            "plan and its LLM calls' estimates), running nothing that computes, writes or calls a model"
        ),
    )
    spark_check: bool = Field(
        False,
        alias="sparkCheck",
        description="with executeMode=analyze: parse every SQL body with Spark's parser",
    )
    run_async: bool = Field(False, alias="async", description="return at once; POST the result to callback")
    callback: str | None = Field(None, description="URL the result of an async job is POSTed to")
    max_retries: int = Field(
        3, alias="maxRetries", ge=0, le=20, description="callback retries (with backoff) after the first try"
    )
    skip_include: bool = Field(False, alias="skipInclude")
    default_path_prefix: str | None = Field(None, alias="defaultPathPrefix")
    silence: bool = Field(False, description="run the script but return no table")
    context: dict[str, str] = Field(
        default_factory=dict, description="context.NAME fields: variables visible to the script"
    )

    @field_validator("callback")
    @classmethod
    def _check_callback(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("callback must be an http:// or https:// URL")
        return value

    @property
    def timeout_s(self) -> float | None:
        return self.timeout / 1000.0 if self.timeout > 0 else None

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> RunScriptRequest:
        fields = {k: v for k, v in params.items() if not k.startswith(CONTEXT_PREFIX) and k != "context"}
        return cls.model_validate({**fields, "context": context_variables(params)})


class AsyncAccepted(_ByzerFields):
    """The answer to ``async=true``: the job runs on; its result goes to the callback."""

    job_name: str = Field(alias="jobName")
    owner: str
    callback: str


class CallbackPayload(_ByzerFields):
    """What an async job POSTs to its callback, as form fields (Byzer's shape).

    ``res`` (success) and ``jobInfo`` are JSON texts; ``msg`` (failure) is the error message and
    ``error`` the error as JSON (kind, message, line, column).
    """

    stat: Literal["succeeded", "failed"]
    res: str | None = None
    msg: str | None = None
    error: str | None = None
    job_info: str = Field(alias="jobInfo")

    def form(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump(by_alias=True).items() if v is not None}


class ErrorBody(BaseModel):
    """Every error response: ``ByzerError.to_dict()`` plus the offending line's text."""

    model_config = ConfigDict(extra="allow")

    kind: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    line_text: str | None = None


class CallProgress(BaseModel):
    """A running job's LLM calls: requests (rows) done of the total, tokens per second, time left."""

    rows_done: int = Field(alias="rowsDone")
    rows_total: int | None = Field(alias="rowsTotal", description="null until counted, or when unknown")
    output_tokens: int = Field(alias="outputTokens")
    tokens_per_second: float | None = Field(alias="tokensPerSecond")
    eta_seconds: float | None = Field(alias="etaSeconds", description="null without a total or a rate yet")


class RunningJob(BaseModel):
    """One entry of ``GET /runningjobs`` (a JSON object keyed by groupId, as in Byzer)."""

    model_config = ConfigDict(extra="allow")

    owner: str
    job_name: str = Field(alias="jobName")
    job_type: str = Field(alias="jobType")
    content: str
    job_content: str = Field(alias="jobContent", description="the same as content, Byzer's name")
    group_id: str = Field(alias="groupId")
    progress: Any = None
    start_time: int = Field(alias="startTime", description="epoch milliseconds")
    timeout: int = Field(description="milliseconds, -1 for none")
    status: str | None = None
    call_progress: CallProgress | None = Field(
        None, alias="callProgress", description="its LLM calls' progress; null when it has made none"
    )


class KillJobRequest(_ByzerFields):
    group_id: str | None = Field(None, alias="groupId")
    job_name: str | None = Field(None, alias="jobName")


class KillJobResponse(BaseModel):
    killed: bool
    group_id: str | None = Field(None, alias="groupId")
    job_name: str | None = Field(None, alias="jobName")


class PredictRequest(_ByzerFields):
    """``POST /model/predict``: run a select expression over rows built from ``data``."""

    data_type: Literal["string", "row"] = Field(
        "string",
        alias="dataType",
        description="string: each element becomes a row with one column `feature`; row: elements are rows",
    )
    data: str = Field("[]", description="a JSON array, as a string")
    sql: str = Field(description="e.g. `select chat(array(feature)) as value`")
    owner: Owner = "admin"
    session_per_request: bool = Field(False, alias="sessionPerRequest")
    timeout: int = Field(-1, description="milliseconds; -1 for none")
    context: dict[str, str] = Field(default_factory=dict)

    @property
    def timeout_s(self) -> float | None:
        return self.timeout / 1000.0 if self.timeout > 0 else None

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> PredictRequest:
        fields = {k: v for k, v in params.items() if not k.startswith(CONTEXT_PREFIX) and k != "context"}
        return cls.model_validate({**fields, "context": context_variables(params)})


class LogoutRequest(_ByzerFields):
    owner: Owner


class LogoutResponse(BaseModel):
    msg: str
    closed: bool


class Health(BaseModel):
    status: Literal["ok", "ready", "starting", "restarting", "failed"]
    message: str | None = None
