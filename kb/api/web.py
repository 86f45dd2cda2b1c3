"""GET / and GET /widget.js: the demo page and the embeddable search box (kb/web/); GET /docs and /redoc: the
API's documentation pages, with their scripts served from here (an intranet may have no internet). Not part of
the OpenAPI."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import FileResponse, HTMLResponse, Response

router = APIRouter(include_in_schema=False)

WEB = Path(__file__).resolve().parent.parent / "web"
DOCS_ASSETS_URL = "/docs/assets"
# Swagger UI's and ReDoc's files as the fastapi-offline package ships them (the same releases FastAPI's CDN
# links name); only these names are served.
DOCS_ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
}


def _docs_assets_dir() -> Path:
    import fastapi_offline

    return Path(fastapi_offline.__file__).resolve().parent / "static"


@router.get("/widget.js")
def widget() -> Response:
    """The search box's script."""
    # A <script src> loads across origins without CORS; the API calls it makes are what CORS governs.
    return Response(widget_script(), media_type="text/javascript; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=300"})


@lru_cache(maxsize=1)
def widget_script() -> bytes:
    """kb/web/widget.js as served: without its indentation and the comments that fill whole lines (~15 % of it),
    but with its opening comment, which says how to embed it. The script holds no multi-line string."""
    text = (WEB / "widget.js").read_text(encoding="utf-8")
    head, _, body = text.partition("*/\n")
    body = re.sub(r"^[ \t]*/\*.*?\*/[ \t]*\n|^[ \t]*//[^\n]*\n", "", body, flags=re.MULTILINE | re.DOTALL)
    return (head + "*/\n" + "".join(line.lstrip() + "\n" for line in body.splitlines() if line.strip())).encode("utf-8")


@router.get("/")
def demo_page() -> HTMLResponse:
    """A page with the search box on it."""
    return HTMLResponse((WEB / "demo.html").read_text(encoding="utf-8"))


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI over /openapi.json, loading nothing from another host."""
    root = request.scope.get("root_path", "")
    return get_swagger_ui_html(
        openapi_url=f"{root}{request.app.openapi_url}", title=f"{request.app.title} - API docs",
        swagger_js_url=f"{root}{DOCS_ASSETS_URL}/swagger-ui-bundle.js", swagger_css_url=f"{root}{DOCS_ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{root}{DOCS_ASSETS_URL}/favicon.png",
        oauth2_redirect_url=f"{root}{request.app.swagger_ui_oauth2_redirect_url}",
        swagger_ui_parameters=request.app.swagger_ui_parameters,
    )


@router.get("/docs/oauth2-redirect")
def swagger_ui_redirect() -> HTMLResponse:
    """Swagger UI's OAuth2 return page."""
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    """ReDoc over /openapi.json, with no web fonts and no script from another host."""
    root = request.scope.get("root_path", "")
    return get_redoc_html(openapi_url=f"{root}{request.app.openapi_url}", title=f"{request.app.title} - API reference",
                          redoc_js_url=f"{root}{DOCS_ASSETS_URL}/redoc.standalone.js",
                          redoc_favicon_url=f"{root}{DOCS_ASSETS_URL}/favicon.png", with_google_fonts=False)


@router.get(DOCS_ASSETS_URL + "/{name}")
def docs_asset(name: str) -> FileResponse:
    """One of the documentation pages' files."""
    if name not in DOCS_ASSETS:
        raise HTTPException(404, f"No file {name!r} for the API docs; they use {', '.join(sorted(DOCS_ASSETS))}.")
    return FileResponse(_docs_assets_dir() / name, media_type=DOCS_ASSETS[name], headers={"Cache-Control": "public, max-age=86400"})
