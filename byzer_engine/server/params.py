"""Request parameters the way Byzer reads them: query string, then form fields or a JSON object body."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile

from byzer_engine.server.errors import BadRequest

Model = TypeVar("Model", bound=BaseModel)

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# A multipart form field may be as large as a JSON body may (Starlette's default is 1 MiB a field).
MAX_FIELD_BYTES = 64 * 1024 * 1024


async def read_params(request: Request) -> dict[str, Any]:
    """All parameters of a request; body fields win over query-string ones."""
    params: dict[str, Any] = dict(request.query_params)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json" or content_type.endswith("+json"):
        raw = await request.body()
        if raw.strip():
            try:
                body = json.loads(raw)
            except ValueError as exc:
                raise BadRequest(f"the body is not valid JSON: {exc}") from None
            if not isinstance(body, dict):
                raise BadRequest("the JSON body must be an object of fields")
            params.update(body)
    elif content_type in _FORM_TYPES:
        form = await request.form(max_part_size=MAX_FIELD_BYTES)
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                # A script sent as a file upload (curl -F sql=@script.byzer) reads as its text.
                await value.seek(0)
                params[key] = (await value.read()).decode("utf-8", errors="replace")
            else:
                params[key] = value
    return params


def parse(model: type[Model], params: dict[str, Any]) -> Model:
    """Validate parameters into a protocol model; problems become one 400 with every field named."""
    try:
        from_params = getattr(model, "from_params", None)
        if from_params is not None:
            result: Model = from_params(params)
            return result
        return model.model_validate(params)
    except ValidationError as exc:
        raise BadRequest(validation_message(exc)) from None


def validation_message(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()))
        msg = str(err.get("msg", "invalid"))
        if err.get("type") == "missing":
            msg = "required"
        parts.append(f"{where}: {msg}" if where else msg)
    return "; ".join(parts) or "invalid request"


def openapi_body(model: type[BaseModel]) -> dict[str, Any]:
    """OpenAPI ``requestBody`` for a route that reads form fields or a JSON object (shown in /docs)."""
    schema = model.model_json_schema(by_alias=True, mode="validation")
    description = "Form fields (as Byzer's clients send them) or a JSON object with the same names."
    if "context" in schema.get("properties", {}):
        description += " Variables for the script: `context.NAME` fields (or a JSON `context` object)."
    content = {
        media: {"schema": schema} for media in ("application/x-www-form-urlencoded", "application/json")
    }
    return {"requestBody": {"required": True, "description": description, "content": content}}
