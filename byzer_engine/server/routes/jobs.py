"""Job control: ``/runningjobs``, ``/killjob`` and ``/user/logout``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from byzer_engine.server.auth import principal_of, require_token
from byzer_engine.server.errors import BadRequest, SafeJSONResponse, as_byzer_error
from byzer_engine.server.jobinfo import job_json
from byzer_engine.server.params import openapi_body, parse, read_params
from byzer_engine.server.protocol import (
    KillJobRequest,
    KillJobResponse,
    LogoutRequest,
    LogoutResponse,
    RunningJob,
)
from byzer_engine.server.state import ServerState

router = APIRouter(dependencies=[Depends(require_token)], tags=["jobs"])


@router.api_route(
    "/runningjobs",
    methods=["GET", "POST"],
    summary="Jobs in flight",
    description="A JSON object keyed by groupId, as in Byzer.",
    response_model=dict[str, RunningJob],
)
async def running_jobs(request: Request) -> SafeJSONResponse:
    state: ServerState = request.app.state.byzer
    engine = await state.engine()
    principal = principal_of(request)
    try:
        jobs = await state.run_control(engine.running_jobs, owners=principal.owners)
    except Exception as exc:
        raise as_byzer_error(exc) from None
    body: dict[str, Any] = {}
    for info in jobs:
        entry = job_json(info)
        body[str(entry["groupId"] or entry["jobName"])] = entry
    return SafeJSONResponse(body)


@router.post(
    "/killjob",
    summary="Kill a job by groupId or jobName",
    description="Cancels the job's Spark job group and the model requests it has in flight.",
    openapi_extra=openapi_body(KillJobRequest),
    response_model=KillJobResponse,
)
async def kill_job(request: Request) -> SafeJSONResponse:
    state: ServerState = request.app.state.byzer
    req = parse(KillJobRequest, await read_params(request))
    if not req.group_id and not req.job_name:
        raise BadRequest("give groupId or jobName")
    engine = await state.engine()
    principal = principal_of(request)
    try:
        # Another owner's job is not found, exactly like a job that does not exist.
        killed = await state.run_control(
            engine.kill,
            job_name=req.job_name or None,
            group_id=req.group_id or None,
            owners=principal.owners,
        )
    except Exception as exc:
        raise as_byzer_error(exc) from None
    answer = KillJobResponse(killed=bool(killed), groupId=req.group_id, jobName=req.job_name)
    return SafeJSONResponse(answer.model_dump(by_alias=True))


@router.post(
    "/user/logout",
    summary="Drop an owner's session",
    description="Forgets the owner's session variables, temporary views and connections.",
    openapi_extra=openapi_body(LogoutRequest),
    response_model=LogoutResponse,
)
async def logout(request: Request) -> SafeJSONResponse:
    state: ServerState = request.app.state.byzer
    req = parse(LogoutRequest, await read_params(request))
    principal_of(request).require_owner(req.owner)
    engine = await state.engine()
    try:
        closed = await state.run_control(engine.logout, req.owner)
    except Exception as exc:
        raise as_byzer_error(exc) from None
    return SafeJSONResponse(LogoutResponse(msg="success", closed=bool(closed)).model_dump())
