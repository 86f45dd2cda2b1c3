"""GET / and GET /widget.js: the demo page and the embeddable search box (kb/web/). Not part of the OpenAPI."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

router = APIRouter(include_in_schema=False)

WEB = Path(__file__).resolve().parent.parent / "web"


@router.get("/widget.js")
def widget() -> FileResponse:
    """The search box's script."""
    # A <script src> loads across origins without CORS; the API calls it makes are what CORS governs.
    return FileResponse(WEB / "widget.js", media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=300"})


@router.get("/")
def demo_page() -> HTMLResponse:
    """A page with the search box on it."""
    return HTMLResponse((WEB / "demo.html").read_text(encoding="utf-8"))
