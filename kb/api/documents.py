"""/documents: one document's metadata, its original file, the file as a page to read (where citations open) and the
documents like it; uploads and deletes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, Response

from kb.api.auth import Read, Write
from kb.api.deps import KB
from kb.api.pages import markdown_page, mhtml_page, office_page, text_page
from kb.api.schema import (
    HIT_EXAMPLE,
    READ_ERRORS,
    SEARCH_EXAMPLE,
    WRITE_ERRORS,
    Document,
    IngestReport,
    SearchResult,
    errors_for,
    example,
)
from kb.config import DEFAULT_K, MAX_K
from kb.errors import DocumentNotFound
from kb.ingest import odt, word
from kb.ingest.loaders import DEFAULT_MEDIA_TYPE, MEDIA_TYPES, load_docx, load_odt, media_type
from kb.records import to_dict

router = APIRouter()

# An upload's largest file, below the ingest limit (KB_MAX_FILE_MB): a request body is held while it is read.
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
# An ingested page is shown, never run: no scripts, no same-origin access.
HTML_POLICY = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"
# The formats a browser would not show as a page of their own; HTML and PDF files are viewed as they are.
PAGES = {"text/markdown": markdown_page, "text/plain": text_page, "multipart/related": mhtml_page,
         MEDIA_TYPES[load_docx]: office_page(word.as_markdown), MEDIA_TYPES[load_odt]: office_page(odt.as_markdown)}
FILE_TYPES = sorted({m.split(";")[0] for m in MEDIA_TYPES.values()} | {DEFAULT_MEDIA_TYPE})
DOCUMENT_EXAMPLE = {
    "doc_id": HIT_EXAMPLE["doc_id"], "title": HIT_EXAMPLE["title"], "type": "tool_report", "date": "2022-05-10",
    "language": "en", "source": HIT_EXAMPLE["source"], "format": "pdf", "content_hash": "27004f20…",
    "description": None, "n_pages": 8, "metadata": HIT_EXAMPLE["metadata"],
    "outline": [{"page": 1, "page_label": "i", "heading_path": [], "chunks": 1}],
    "file_url": f"/documents/{HIT_EXAMPLE['doc_id']}/file",
}
SIMILAR_EXAMPLE = {**SEARCH_EXAMPLE, "query": f"similar:{HIT_EXAMPLE['doc_id']}", "mode": "dense"}


@contextmanager
def _known(doc_id: str, missing: str = "No document {!r} in the index") -> Iterator[None]:
    """DocumentNotFound, said with the API's fix: the library's names the CLI's (kb browse)."""
    try:
        yield
    except DocumentNotFound as exc:
        close = f" Did you mean {' or '.join(repr(s) for s in exc.suggestions)}?" if exc.suggestions else ""
        raise DocumentNotFound(missing.format(doc_id) + f".{close} Find documents' ids with GET /search "
                               "(leave out q to list them all).", exc.suggestions) from None


# -- reads. The routes with a tail (/file, /similar) come first: a doc_id is a path and may hold slashes.
@router.get("/documents/{doc_id:path}/file", dependencies=[Read], summary="The original file", response_class=Response,
            responses={200: {"description": "The file, as ingested",
                             "content": {m: {"schema": {"type": "string", "format": "binary"}} for m in FILE_TYPES}},
                       **errors_for(404, 422, *READ_ERRORS)})
def document_file(kb: KB, doc_id: str) -> FileResponse:
    """The file as ingested, with its content type: a citation link `…/file#page=12` opens a PDF at page 12."""
    with _known(doc_id, "No file for document {!r} (one ingested from a file has one)"):
        path = kb.document_file(doc_id)
    media = media_type(path)
    headers = {"X-Content-Type-Options": "nosniff"}
    if media.startswith("text/html"):
        headers["Content-Security-Policy"] = HTML_POLICY
    return FileResponse(path, media_type=media, headers=headers, content_disposition_type="inline", filename=path.name)


@router.get("/documents/{doc_id:path}/view", dependencies=[Read], summary="The document as a page to read", response_class=Response,
            responses={200: {"description": "Markdown and plain text as an HTML page with heading anchors; other files as /file sends them",
                             "content": {m: {"schema": {"type": "string", "format": "binary"}} for m in FILE_TYPES}},
                       **errors_for(404, 422, *READ_ERRORS)})
def document_view(kb: KB, doc_id: str) -> Response:
    """Where a hit's `cite_url` opens: Markdown rendered and text as paragraphs, with the passage's words and
    heading anchors for its `#:~:text=` fragment; HTML and PDF files as they are (`…/file`)."""
    with _known(doc_id, "No file for document {!r} (one ingested from a file has one)"):
        path = kb.document_file(doc_id)
        render = PAGES.get(media_type(path).split(";")[0])
        if render is None:
            return document_file(kb, doc_id)
        page = render(path.read_bytes(), kb.document(doc_id).title)
    return HTMLResponse(page, headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": HTML_POLICY})


@router.get("/documents/{doc_id:path}/similar", response_model=None, dependencies=[Read], summary="More like this document",
            responses=example(SearchResult, SIMILAR_EXAMPLE) | errors_for(404, 422, *READ_ERRORS))
def similar(kb: KB, doc_id: str, k: Annotated[int, Query(ge=1, le=MAX_K)] = DEFAULT_K) -> dict[str, Any]:
    """The documents closest in meaning to this one."""
    with _known(doc_id):
        return to_dict(kb.similar(doc_id, k=k))


@router.get("/documents/{doc_id:path}", response_model=None, dependencies=[Read], summary="One document's metadata and outline",
            responses=example(Document, DOCUMENT_EXAMPLE) | errors_for(404, 422, *READ_ERRORS))
def document(kb: KB, doc_id: str) -> dict[str, Any]:
    """Title, type, date, language, source, metadata, and where its text lives (pages, headings)."""
    with _known(doc_id):  # an id, or a path that names one (kb.document_id)
        record = kb.document(doc_id)
        return {**to_dict(record), "outline": kb.outline(record.doc_id), "file_url": f"/documents/{record.doc_id}/file"}


# -- writes
@router.post("/documents", response_model=None, dependencies=[Write], status_code=201, summary="Upload and ingest files",
             responses={201: {"model": IngestReport}, **errors_for(400, 413, 415, 422, *WRITE_ERRORS)})
def upload(kb: KB, files: Annotated[list[UploadFile], File(min_length=1, description="PDF, HTML, Markdown, text or Word files")]
           ) -> dict[str, Any]:
    """Each file is kept in the server's uploads folder (beside the index) and ingested like `kb ingest`.
    The file name (its suffix says the kind: .pdf, .html, .md, .txt, .docx) becomes the document id. Needs KB_API_KEY."""
    # A plain def: FastAPI runs it in its threadpool, so an ingest does not stop other requests being answered.
    report = kb.add_files(((f.filename or "", f.file) for f in files), max_bytes=MAX_UPLOAD_BYTES)
    return to_dict(report) | {"counts": report.counts()}


@router.delete("/documents/{doc_id:path}", dependencies=[Write], status_code=204, summary="Remove a document",
               responses=errors_for(404, 422, *WRITE_ERRORS))
def delete(kb: KB, doc_id: str) -> Response:
    """Removes the document from the index (and its uploaded file, if it was uploaded). Needs KB_API_KEY."""
    with _known(doc_id):
        kb.delete(doc_id)
    return Response(status_code=204)
