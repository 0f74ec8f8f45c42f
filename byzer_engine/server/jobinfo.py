"""Job information in Byzer's JSON shape (camelCase keys), for /runningjobs and async callbacks."""

from __future__ import annotations

import time
from typing import Any

from byzer_engine.runtime import JobInfo
from byzer_engine.server.protocol import RunScriptRequest


def job_json(info: JobInfo) -> dict[str, Any]:
    timeout_ms = info.timeout_ms if info.timeout_ms is not None else -1
    return {
        "owner": info.owner,
        "jobName": info.job_name,
        "jobType": info.job_type,
        "content": info.content,
        "jobContent": info.content,
        "groupId": info.group_id,
        "progress": info.progress,
        "startTime": info.start_time,
        "timeout": timeout_ms,
        "status": info.status,
        "callProgress": info.calls.to_dict() if info.calls is not None else None,
    }


def requested_job_json(
    request: RunScriptRequest, job_name: str, started_ms: int, status: str
) -> dict[str, Any]:
    """The job as the request described it: used when the engine failed before reporting its own."""
    return {
        "owner": request.owner,
        "jobName": job_name,
        "jobType": request.job_type,
        "content": request.sql,
        "jobContent": request.sql,
        "groupId": None,
        "progress": None,
        "startTime": started_ms,
        "timeout": request.timeout if request.timeout > 0 else -1,
        "status": status,
        "callProgress": None,
    }


def now_ms() -> int:
    return int(time.time() * 1000)
