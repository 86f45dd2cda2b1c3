"""GET /health: is the index loaded, and how fresh is it. Open even when reads need a key, never rate-limited."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from kb.api.deps import KB
from kb.api.errors import client_message
from kb.api.schema import Health, NoIndex, example
from kb.errors import IndexNotFound

router = APIRouter()

HEALTH_EXAMPLE = {"status": "ok", "documents": 24, "chunks": 284, "model": "all-MiniLM-L6-v2",
                  "snapshot": "20261125T193316161235-20662", "updated_at": "2026-11-25T19:33:49+00:00"}


@router.get("/health", response_model=None, summary="Is the index loaded, and how fresh is it",
            responses=example(Health, HEALTH_EXAMPLE) | {503: {"model": NoIndex, "description": "There is no index yet"}})
def health(kb: KB) -> dict[str, Any] | JSONResponse:
    """Status, document and chunk counts, model and snapshot time. Open even when reads need a key."""
    try:
        info = kb.info()
    except IndexNotFound as exc:  # a state to report, not an error: monitors read the body
        return JSONResponse({"status": "no_index", "message": client_message(exc)}, status_code=503)
    return {"status": "ok", "documents": info.documents, "chunks": info.chunks, "model": info.model,
            "snapshot": info.snapshot, "updated_at": info.updated_at}
