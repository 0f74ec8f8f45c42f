"""The console's routes: the page and its assets at ``/``, notebooks under ``/console/api``.

The page and the built assets are public (they hold no data; the page asks for the token). Every
notebook route needs the server's token, like every Byzer route, and acts for the ``owner`` it names
only when the token may act as that owner (``server.auth.owner_home``); another owner's notebooks
are a 403.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from byzer_engine.console import examples
from byzer_engine.console.storage import NotebookError, NotebookStore
from byzer_engine.server.auth import owner_home, require_token

DIST = Path(__file__).resolve().parent / "dist"
API = "/console/api"

_NOT_BUILT = """<!doctype html><meta charset="utf-8"><title>Byzer Notebook</title>
<p>The console's front end is not built. Run <code>make install</code> (it runs <code>npm ci &amp;&amp;
npm run build</code> in <code>byzer_engine/console/web</code>) and reload.</p>"""

router = APIRouter(prefix=API, dependencies=[Depends(require_token)])
Owner = Annotated[str, Query(description="the owner whose notebooks these are")]


def _store(request: Request, owner: str) -> NotebookStore:
    return NotebookStore(owner_home(request, owner))


def _http(error: NotebookError) -> HTTPException:
    return HTTPException(status_code=error.status, detail=str(error))


@router.get("/notebooks")
def list_notebooks(request: Request, owner: Owner) -> dict[str, Any]:
    return {"owner": owner, "notebooks": _store(request, owner).names()}


@router.get("/notebooks/{name}")
def read_notebook(request: Request, name: str, owner: Owner) -> dict[str, Any]:
    try:
        return _store(request, owner).read(name)
    except NotebookError as exc:
        raise _http(exc) from None


@router.put("/notebooks/{name}")
def write_notebook(
    request: Request, name: str, owner: Owner, body: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    try:
        return _store(request, owner).write(name, body)
    except NotebookError as exc:
        raise _http(exc) from None


@router.post("/notebooks/{name}")
def create_notebook(
    request: Request, name: str, owner: Owner, body: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    try:
        return _store(request, owner).write(name, body, create_only=True)
    except NotebookError as exc:
        raise _http(exc) from None


@router.delete("/notebooks/{name}")
def delete_notebook(request: Request, name: str, owner: Owner) -> dict[str, Any]:
    try:
        _store(request, owner).delete(name)
    except NotebookError as exc:
        raise _http(exc) from None
    return {"deleted": name}


@router.post("/notebooks/{name}/rename")
def rename_notebook(request: Request, name: str, owner: Owner, to: Annotated[str, Query()]) -> dict[str, Any]:
    try:
        return _store(request, owner).rename(name, to)
    except NotebookError as exc:
        raise _http(exc) from None


@router.post("/notebooks/{name}/duplicate")
def duplicate_notebook(
    request: Request, name: str, owner: Owner, to: Annotated[str, Query()]
) -> dict[str, Any]:
    try:
        return _store(request, owner).duplicate(name, to)
    except NotebookError as exc:
        raise _http(exc) from None


@router.get("/examples")
def list_examples() -> dict[str, Any]:
    return {"examples": [{"name": name} for name in examples.EXAMPLES]}


@router.get("/examples/{name}")
def read_example(name: str) -> dict[str, Any]:
    notebook = examples.EXAMPLES.get(name)
    if notebook is None:
        raise HTTPException(status_code=404, detail=f"no example named {name!r}")
    return {**notebook, "name": name, "readOnly": True}


def _index() -> Any:
    page = DIST / "index.html"
    return FileResponse(page) if page.is_file() else HTMLResponse(_NOT_BUILT, status_code=503)


def install(app: FastAPI) -> None:
    """Add the console to the server's app: ``/`` (the page), ``/console/assets``, ``/console/api``."""
    app.include_router(router)
    app.add_api_route("/", _index, methods=["GET"], include_in_schema=False)
    app.add_api_route("/console", _index, methods=["GET"], include_in_schema=False)
    assets = DIST / "assets"
    app.mount("/console/assets", StaticFiles(directory=assets, check_dir=False), name="console-assets")
