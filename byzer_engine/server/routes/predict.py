"""``POST /model/predict``: rows built from ``data`` go through the select in ``sql``, on the Engine.

As in Byzer, ``sql`` is a select list (``select chat(array(feature)) as value``) applied to the rows:
``dataType=string`` makes one row per element with a single column ``feature`` (an element that is
not a string is passed as its JSON text), ``dataType=row`` takes each element as a JSON row. The
request runs as a two-statement script (load the rows, select), so it is a job like any other: it
shows in /runningjobs, can be killed, and its model calls are cancelled with it.
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request

from byzer_engine.server.auth import principal_of, require_token
from byzer_engine.server.errors import BadRequest, SafeJSONResponse, as_byzer_error
from byzer_engine.server.params import openapi_body, parse, read_params
from byzer_engine.server.protocol import PredictRequest
from byzer_engine.server.state import ServerState

router = APIRouter(dependencies=[Depends(require_token)], tags=["models"])

DATA_VARIABLE = "__predict_data__"
_LEADING_SELECT = re.compile(r"^\s*select\b", re.IGNORECASE)


def predict_rows(data_type: str, data: str) -> list[str]:
    """The rows as JSON lines (one object per line), in the shape dataType asks for."""
    try:
        elements = json.loads(data)
    except ValueError as exc:
        raise BadRequest(f"data is not valid JSON: {exc}") from None
    if not isinstance(elements, list):
        raise BadRequest("data must be a JSON array (sent as a string)")
    lines = []
    for index, element in enumerate(elements):
        if data_type == "string":
            feature = element if isinstance(element, str) else json.dumps(element, ensure_ascii=False)
            lines.append(json.dumps({"feature": feature}, ensure_ascii=False))
        elif isinstance(element, dict):
            lines.append(json.dumps(element, ensure_ascii=False))
        else:
            raise BadRequest(f"data[{index}] must be a JSON object when dataType is row")
    return lines


def predict_script(sql: str) -> str:
    select_list = _LEADING_SELECT.sub("", sql.strip().rstrip(";").strip(), count=1).strip()
    if not select_list:
        raise BadRequest("sql must be a select list, e.g. 'select chat(array(feature)) as value'")
    return (
        f"load jsonStr.`{DATA_VARIABLE}` as __predict_input__;\n"
        f"select {select_list} from __predict_input__ as __predict_output__;"
    )


@router.post(
    "/model/predict",
    summary="Apply SQL (e.g. a deployed model function) to rows sent in the request",
    openapi_extra=openapi_body(PredictRequest),
)
async def predict(request: Request) -> SafeJSONResponse:
    state: ServerState = request.app.state.byzer
    params = await read_params(request)
    if params.get("dataType") == "vector":
        raise BadRequest("dataType=vector is not supported: use string or row")
    req = parse(PredictRequest, params)
    principal_of(request).require_owner(req.owner)
    lines = predict_rows(req.data_type, req.data)
    script = predict_script(req.sql)
    if not lines:
        return SafeJSONResponse([])
    engine = await state.engine()
    variables: dict[str, Any] = {**req.context, DATA_VARIABLE: "\n".join(lines)}
    try:
        call = functools.partial(
            engine.run_script,
            script,
            owner=req.owner,
            variables=variables,
            file="<predict>",
            job_name=f"predict-{uuid.uuid4()}",
            job_type="predict",
            timeout_s=req.timeout_s,
            output_size=len(lines),
            session_per_request=req.session_per_request,
        )
        result = await state.run(call)
    except Exception as exc:
        raise as_byzer_error(exc) from None
    return SafeJSONResponse(result.rows)
