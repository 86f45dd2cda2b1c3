"""The HTTP API: thin routes over KnowledgeBase, one JSON error shape, CORS and keys from Settings.

    uvicorn --factory kb.api:create_app      (or: kb serve)
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, File, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from kb.api_schema import (
    HIT_EXAMPLE,
    READ_ERRORS,
    SEARCH_EXAMPLE,
    WRITE_ERRORS,
    Document,
    Facets,
    Health,
    IngestReport,
    NoIndex,
    SearchResult,
    Topics,
    error_response,
    errors_for,
    example,
)
from kb.config import DEFAULT_K, MAX_K, MAX_OFFSET, MAX_QUERY_CHARS, Settings
from kb.errors import DocumentNotFound, IndexLocked, IndexNotFound, KBError, QueryError
from kb.ingest.loaders import LOADERS
from kb.ratelimit import RateLimiter, RateLimitMiddleware, client_identity, presented_key, same_key
from kb.records import Filters, to_dict
from kb.service import LRU, KnowledgeBase

WEB = Path(__file__).parent / "web"
# Query parameters with a meaning of their own; any other must name a facet of the index.
SEARCH_PARAMS = {"q", "k", "mode", "type", "lang", "since", "until", "offset"}
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
_STATUS = {DocumentNotFound: 404, IndexNotFound: 503, QueryError: 400, IndexLocked: 409}
# A query must hold a character that is not whitespace as Python's str.split() sees it (the service splits
# on exactly these); spelled out so that the OpenAPI pattern means the same in every regex dialect.
QUERY_PATTERN = r"[^\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
# since/until: YYYY, YYYY-MM or a calendar date (29 February in leap years only), or empty for no bound.
# One pattern, published in the OpenAPI and applied by the server, so the two cannot disagree.
_YEAR = "[1-9][0-9]{3}"
_MONTH = "(0[1-9]|1[0-2])"
_MONTH_DAY = "(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31"
_LEAP_YEAR = "[1-9][0-9](0[48]|[2468][048]|[13579][26])|([2468][048]|[13579][26])00"
DATE_PATTERN = f"^({_YEAR}|{_YEAR}-{_MONTH}|{_YEAR}-({_MONTH_DAY})|({_LEAP_YEAR})-02-29)?$"
# The media type each ingestible suffix is served with (nosniff: browsers believe it).
MEDIA_TYPES = {".pdf": "application/pdf", ".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8",
               ".xhtml": "text/html; charset=utf-8", ".md": "text/markdown; charset=utf-8",
               ".markdown": "text/markdown; charset=utf-8", ".txt": "text/plain; charset=utf-8",
               ".text": "text/plain; charset=utf-8"}
# Longest upload name a filesystem stores (bytes, as UTF-8).
MAX_NAME_BYTES = 255


class APIError(Exception):
    """An error with an HTTP status, rendered in the one JSON error shape."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


def _upload_name(upload_file: UploadFile) -> str:
    """The name an upload is stored under; APIError when no file can have it."""
    name = Path(upload_file.filename or "").name
    if not name or name.startswith(".") or Path(name).suffix.lower() not in LOADERS:
        raise APIError(415, "unsupported_file", f"{name or 'a file'}: only {', '.join(sorted(LOADERS))} files can be uploaded.")
    if len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise APIError(400, "bad_file_name", f"{name[:80]!r}: a file name has at most {MAX_NAME_BYTES} bytes and no control characters.")
    return name


def create_app(settings: Settings | None = None, kb: KnowledgeBase | None = None,
               clock: Callable[[], float] = time.monotonic) -> FastAPI:
    """The API for one index. Reads are open unless KB_READ_KEY is set; writes need KB_API_KEY.

    `clock` is the rate limiter's (seconds, monotonic); tests pass one they can move.
    """
    settings = settings or Settings.from_env()
    kb = kb or KnowledgeBase(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Load the index and the model before the first request, so the first user does not wait.
        try:
            kb.search("warm up", k=1)
        except IndexNotFound:
            pass  # /health says so; searches answer 503 until an index exists
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="kb",
        version="0.1.0",
        description="Semantic and keyword search over the knowledge base: press releases, tool reports and skills guides.",
    )
    app.state.kb = kb
    app.state.rate_limiter = None
    if settings.rate_limit:
        app.state.rate_limiter = RateLimiter(settings.rate_limit, settings.rate_burst, clock)
        app.add_middleware(RateLimitMiddleware, limiter=app.state.rate_limiter, client_of=client_identity(settings))
    if settings.cors_origins:  # added last, so it wraps the rate limit: a browser can read a 429 too
        app.add_middleware(
            CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type"], max_age=600,
        )

    # -- errors: one shape everywhere, never a stack trace ------------------------------------------
    @app.exception_handler(APIError)
    async def _api_error(request: Request, exc: APIError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(KBError)
    async def _kb_error(request: Request, exc: KBError) -> JSONResponse:
        status = next((s for cls, s in _STATUS.items() if isinstance(exc, cls)), 400)
        return error_response(status, exc.code, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "body", "path"))
            parts.append(f"{where}: {err.get('msg')}" if where else str(err.get("msg")))
        return error_response(422, "invalid_request", "; ".join(parts) or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        import logging

        logging.getLogger("kb.api").exception("unhandled error on %s", request.url.path)
        return error_response(500, "internal_error", "Something went wrong on the server; the error was logged.")

    # -- keys -----------------------------------------------------------------------------------------
    def _check_key(request: Request, expected: str, missing: str, wrong: str) -> None:
        key = presented_key(request.headers)
        if key is None:
            raise APIError(401, "unauthorized", missing, {"WWW-Authenticate": "Bearer"})
        if not same_key(key, expected):
            raise APIError(403, "forbidden", wrong)

    def require_read(request: Request) -> None:
        if settings.read_key is not None:
            _check_key(request, settings.read_key, "This index needs a read key: send 'Authorization: Bearer KEY'.",
                       "The key is not valid for reading this index.")

    def require_write(request: Request) -> None:
        if settings.api_key is None:
            raise APIError(403, "writes_disabled", "Writes are disabled: the server has no KB_API_KEY.")
        _check_key(request, settings.api_key, "Writes need the API key: send 'Authorization: Bearer KEY'.",
                   "The API key is not valid.")

    Read = Depends(require_read)
    Write = Depends(require_write)

    def _date(value: str | None, name: str) -> str | None:
        if value is None or value == "":
            return None
        if not re.fullmatch(DATE_PATTERN, value):
            raise APIError(400, "bad_date", f"{name}={value!r} is not a date; use YYYY, YYYY-MM or YYYY-MM-DD.")
        return value

    def _filters(request: Request, type_: list[str], lang: list[str], since: str | None, until: str | None) -> Filters:
        extra = [key for key in request.query_params if key not in SEARCH_PARAMS]
        where: dict[str, tuple[str, ...]] = {}
        if extra:
            known = kb.facet_fields()
            unknown = [key for key in extra if key not in known]
            if unknown:
                raise APIError(400, "unknown_parameter",
                               f"Unknown parameter(s): {', '.join(sorted(unknown))}. Filters: {', '.join(sorted(known))}.")
            where = {key: tuple(request.query_params.getlist(key)) for key in extra}
        return Filters(types=tuple(type_), languages=tuple(lang), since=_date(since, "since"),
                       until=_date(until, "until"), where=where)

    # -- reads ----------------------------------------------------------------------------------------
    rendered = LRU(kb.settings.result_cache)

    @app.get("/search", response_model=None, dependencies=[Read], summary="Search the knowledge base",
             responses=example(SearchResult, SEARCH_EXAMPLE) | errors_for(400, 422, *READ_ERRORS),
             response_description="Documents that answer the query, one hit per document, with facets")
    def search(
        request: Request,
        q: Annotated[str | None, Query(min_length=1, max_length=MAX_QUERY_CHARS,
                                       description="The question or keywords; leave it out to browse (newest first)",
                                       examples=["how can apprenticeships be made more inclusive?"],
                                       json_schema_extra={"pattern": QUERY_PATTERN})] = None,
        k: Annotated[int, Query(ge=1, le=MAX_K, description="Number of documents")] = DEFAULT_K,
        mode: Annotated[str, Query(pattern="^(hybrid|dense|keyword)$", description="Retrieval mode")] = "hybrid",
        type_: Annotated[list[str], Query(alias="type", description="Document type(s), e.g. tool_report")] = [],  # noqa: B006
        lang: Annotated[list[str], Query(description="Language code(s), e.g. en")] = [],  # noqa: B006
        since: Annotated[str | None, Query(description="Dated on or after (YYYY[-MM[-DD]])", examples=["2022"],
                                           json_schema_extra={"pattern": DATE_PATTERN})] = None,
        until: Annotated[str | None, Query(description="Dated on or before (YYYY[-MM[-DD]])",
                                           json_schema_extra={"pattern": DATE_PATTERN})] = None,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Skip this many documents (paging)")] = 0,
    ) -> JSONResponse:
        """Hybrid (default), dense or keyword search. Any other parameter filters on a facet, e.g. `country=KE`
        or `topic=apprenticeships`. Without `q`, browse the documents that pass the filters, newest first.
        The result is the same record that `kb search --json` prints."""
        filters = _filters(request, type_, lang, since, until)
        if q is None:  # browse mode: no question, documents newest first
            result = kb.browse(filters, k=k, offset=offset)
        else:
            result = kb.search(q, k=k, mode=mode, filters=filters, offset=offset)
        # A result the knowledge base answered from its cache is the same object: its JSON is reused
        # (converting and encoding it took most of a cached request). Keeping the result in the entry
        # keeps its id from being reused by another object while the entry lives.
        entry = rendered.get((id(result), offset))
        if entry is None or entry[0] is not result:
            # to_dict already gives JSON types: encoding directly skips FastAPI's re-encoding of every field.
            body = json.dumps(to_dict(result) | {"offset": offset}, ensure_ascii=False, allow_nan=False,
                              separators=(",", ":")).encode("utf-8")
            entry = (result, body)
            if q is not None:  # browse results are made afresh each time: never asked for again
                rendered.put((id(result), offset), entry)
        return Response(entry[1], media_type="application/json")

    @app.get("/documents/{doc_id:path}/file", dependencies=[Read], summary="The original file", response_class=Response,
             responses={200: {"description": "The file, as ingested",
                              "content": {m: {"schema": {"type": "string", "format": "binary"}} for m in
                                          sorted({t.split(";")[0] for t in MEDIA_TYPES.values()} | {"application/octet-stream"})}},
                        **errors_for(404, 422, *READ_ERRORS)})
    def document_file(doc_id: str) -> FileResponse:
        """The file as ingested, with its content type: a citation link `…/file#page=12` opens a PDF at page 12."""
        path = kb.document_file(doc_id)
        media = MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream")
        headers = {"X-Content-Type-Options": "nosniff"}
        if media.startswith("text/html"):
            # An ingested page is shown, never run: no scripts, no same-origin access.
            headers["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"
        return FileResponse(path, media_type=media, headers=headers, content_disposition_type="inline",
                            filename=path.name)

    @app.get("/documents/{doc_id:path}/similar", response_model=None, dependencies=[Read], summary="More like this document",
             responses=example(SearchResult, {**SEARCH_EXAMPLE, "query": f"similar:{HIT_EXAMPLE['doc_id']}", "mode": "dense"})
             | errors_for(404, 422, *READ_ERRORS))
    def similar(doc_id: str, k: Annotated[int, Query(ge=1, le=MAX_K)] = DEFAULT_K) -> dict[str, Any]:
        """The documents closest in meaning to this one."""
        return to_dict(kb.similar(doc_id, k=k))

    @app.get("/documents/{doc_id:path}", response_model=None, dependencies=[Read], summary="One document's metadata and outline",
             responses=example(Document, {"doc_id": HIT_EXAMPLE["doc_id"], "title": HIT_EXAMPLE["title"], "type": "tool_report",
                                 "date": "2022-05-10", "language": "en", "source": HIT_EXAMPLE["source"], "format": "pdf",
                                 "content_hash": "27004f20…", "description": None, "n_pages": 8, "metadata": HIT_EXAMPLE["metadata"],
                                 "outline": [{"page": 1, "page_label": "i", "heading_path": [], "chunks": 1}],
                                 "file_url": f"/documents/{HIT_EXAMPLE['doc_id']}/file"}) | errors_for(404, 422, *READ_ERRORS))
    def document(doc_id: str) -> dict[str, Any]:
        """Title, type, date, language, source, metadata, and where its text lives (pages, headings)."""
        return {**to_dict(kb.document(doc_id)), "outline": kb.outline(doc_id),
                "file_url": f"/documents/{doc_id}/file"}

    @app.get("/facets", response_model=None, dependencies=[Read], summary="Document counts per facet value",
             responses=example(Facets, {"facets": {"type": {"press_release": 8, "tool_report": 8}, "region": {"Africa": 9}}})
             | errors_for(*READ_ERRORS))
    def facets() -> dict[str, Any]:
        """Counts of documents by type, topic, country, language and year over the whole index."""
        return {"facets": kb.facets()}

    @app.get("/topics", response_model=None, dependencies=[Read], summary="Skills topics with document counts",
             responses=example(Topics, {"topics": [{"id": "apprenticeships", "label": "Apprenticeships",
                                             "description": "Work-based learning that combines…", "documents": 6}]})
             | errors_for(*READ_ERRORS))
    def topics() -> dict[str, Any]:
        """Every topic of the taxonomy (id, label, description) with the number of documents tagged with it."""
        return {"topics": kb.topics()}

    @app.get("/health", response_model=None, summary="Is the index loaded, and how fresh is it",
             responses=example(Health, {"status": "ok", "documents": 24, "chunks": 284, "model": "all-MiniLM-L6-v2",
                                 "snapshot": "20261125T193316161235-20662", "updated_at": "2026-11-25T19:33:49+00:00"})
             | {503: {"model": NoIndex, "description": "There is no index yet"}})
    def health() -> dict[str, Any]:
        """Status, document and chunk counts, model and snapshot time. Open even when reads need a key."""
        try:
            info = kb.info()
        except IndexNotFound as exc:
            return JSONResponse({"status": "no_index", "message": str(exc)}, status_code=503)  # type: ignore[return-value]
        return {"status": "ok", "documents": info.documents, "chunks": info.chunks, "model": info.model,
                "snapshot": info.snapshot, "updated_at": info.updated_at}

    # -- writes ---------------------------------------------------------------------------------------
    @app.post("/documents", response_model=None, dependencies=[Write], status_code=201, summary="Upload and ingest files",
              responses={201: {"model": IngestReport}, **errors_for(400, 413, 415, 422, *WRITE_ERRORS)})
    async def upload(files: Annotated[list[UploadFile], File(min_length=1, description="PDF, HTML, Markdown or text files")]) -> dict[str, Any]:
        """Each file is stored in the index's uploads folder and ingested like `kb ingest`. Needs KB_API_KEY.
        The file name (its suffix says the kind: .pdf, .html, .md, .txt) becomes the document id."""
        names = [_upload_name(upload_file) for upload_file in files]
        if len(set(names)) < len(names):
            twice = sorted({name for name in names if names.count(name) > 1})
            raise APIError(400, "duplicate_file", f"{', '.join(twice)}: each file name may be sent once per upload.")
        limit = min(MAX_UPLOAD_BYTES, settings.max_file_bytes)
        uploads = Path(settings.index_dir) / "uploads"
        uploads.mkdir(parents=True, exist_ok=True)
        staged: list[Path] = []
        with tempfile.TemporaryDirectory(dir=settings.index_dir) as tmp:
            for upload_file, name in zip(files, names):
                target = Path(tmp) / name
                size = 0
                with open(target, "wb") as out:
                    while block := await upload_file.read(1 << 20):
                        size += len(block)
                        if size > limit:
                            raise APIError(413, "too_large", f"{name} is over the upload limit of {limit / 2**20:g} MB.")
                        out.write(block)
                staged.append(target)
            final = []
            for path in staged:
                dest = uploads / path.name
                shutil.move(str(path), dest)
                final.append(dest)
        report = kb.ingest(final)
        return to_dict(report) | {"counts": report.counts()}

    @app.delete("/documents/{doc_id:path}", dependencies=[Write], status_code=204, summary="Remove a document",
                responses=errors_for(404, 422, *WRITE_ERRORS))
    def delete(doc_id: str) -> Response:
        """Removes the document from the index (and its uploaded file, if it was uploaded). Needs KB_API_KEY."""
        path = None
        try:
            path = kb.document_file(doc_id)
        except DocumentNotFound:
            pass
        kb.delete(doc_id)
        uploads = (Path(settings.index_dir) / "uploads").resolve()
        if path is not None and path.is_relative_to(uploads):
            path.unlink(missing_ok=True)
        return Response(status_code=204)

    # -- the search box and its demo page -----------------------------------------------------------
    @app.get("/widget.js", include_in_schema=False)
    def widget() -> FileResponse:
        # A <script src> loads across origins without CORS; the API calls it makes are what CORS governs.
        return FileResponse(WEB / "widget.js", media_type="text/javascript; charset=utf-8",
                            headers={"Cache-Control": "public, max-age=300"})

    @app.get("/", include_in_schema=False)
    def demo_page() -> HTMLResponse:
        return HTMLResponse((WEB / "demo.html").read_text(encoding="utf-8"))

    return app
