"""GET /health: is the index loaded, and how fresh is it. Open even when reads need a key, never rate-limited."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from kb.api.deps import KB
from kb.api.errors import client_message
from kb.api.schema import Health, NoIndex, Starting, example
from kb.errors import IndexNotFound

router = APIRouter()

HEALTH_EXAMPLE = {"status": "ok", "documents": 24, "chunks": 284, "model": "all-MiniLM-L6-v2",
                  "snapshot": "20261125T193316161235-20662", "updated_at": "2026-11-25T19:33:49+00:00",
                  "search_processes": {"ready": 2, "total": 2}}


@router.get("/health", response_model=None, summary="Is the index loaded, and how fresh is it",
            responses=example(Health, HEALTH_EXAMPLE) | {503: {"model": NoIndex | Starting,
                                                               "description": "There is no index yet, or no search process is ready"}})
def health(request: Request, kb: KB) -> dict[str, Any] | JSONResponse:
    """Status, document and chunk counts, model and snapshot time; with `kb serve --workers N`, how many search
    processes are ready. Open even when reads need a key."""
    try:
        info = kb.info()
    except IndexNotFound as exc:  # a state to report, not an error: monitors read the body
        return JSONResponse({"status": "no_index", "message": client_message(exc)}, status_code=503)
    found: dict[str, Any] = {"status": "ok", "documents": info.documents, "chunks": info.chunks, "model": info.model,
                             "snapshot": info.snapshot, "updated_at": info.updated_at}
    pool = request.app.state.pool
    if pool is not None:
        found["search_processes"] = processes = {"ready": pool.ready(), "total": pool.processes}
        if not processes["ready"]:  # searches wait until one is: a load balancer should send them elsewhere
            return JSONResponse({"status": "starting", "message": "No search process is ready yet; searches wait "
                                 "until one has loaded the index and the model.", "search_processes": processes},
                                status_code=503)
    return found
