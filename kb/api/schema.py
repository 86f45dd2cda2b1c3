"""The API's published shapes: the one error shape, the JSON each route answers, and the OpenAPI examples.

Routes return to_dict() of the records in kb.records; these models exist for the OpenAPI only, and
tests/test_fuzz.py checks every response against them. The error shape itself is made in kb/api/errors.py.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kb.config import MODES

# What a search result's mode may say: a retrieval mode, or browse (no question asked).
RESULT_MODE_PATTERN = f"^({'|'.join((*MODES, 'browse'))})$"


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(description="Stable and machine-readable, e.g. bad_query, not_found, rate_limited")
    message: str = Field(description="For a person: what went wrong and how to fix it")


class ErrorResponse(BaseModel):
    """The one error shape of every route: {"error": {"code": …, "message": …}}."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "example": {"error": {"code": "bad_query", "message": "The query is empty."}}})
    error: ErrorDetail


class NoIndex(BaseModel):
    """What /health says while there is no index yet."""

    model_config = ConfigDict(extra="forbid")
    status: str = Field(pattern="^no_index$")
    message: str


ERROR_TEXT = {
    400: "The request is not valid (the code says why)",
    401: "A key is needed: send 'Authorization: Bearer KEY' or 'X-API-Key: KEY'",
    403: "The key is not valid, or writes are disabled on this server",
    404: "No such document (or no file for it)",
    409: "Another process is writing the index; try again",
    413: "A file is over the upload limit",
    415: "A file is not of a kind that can be ingested",
    422: "A parameter has the wrong type or is out of range",
    503: "There is no index yet",
}
RETRY_AFTER = {"Retry-After": {"description": "Whole seconds to wait before the next request", "schema": {"type": "integer", "minimum": 1}}}


def errors_for(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI responses in the one error shape; every limited route may also answer 429."""
    out: dict[int | str, dict[str, Any]] = {s: {"model": ErrorResponse, "description": ERROR_TEXT[s]} for s in statuses}
    out[429] = {"model": ErrorResponse, "description": "Too many requests from this client", "headers": RETRY_AFTER}
    return out


# -- the JSON each route answers. A field that may be null has a default, because FastAPI drops nulls from
# the published examples.
class Passage(BaseModel):
    chunk_id: int
    snippet: str
    highlights: list[tuple[int, int]] = Field(description="[start, end) offsets of matched words in the snippet")
    score: float = Field(description="Orders a hit's passages. Hybrid: each retriever's score rescaled over this "
                                     "query's candidates (0-1), then weighted; otherwise the cosine or bm25")
    page: int | None = Field(None, description="Physical page, 1-based (PDFs)")
    page_label: str | None = Field(None, description="The page number printed on the page, where the PDF defines one")
    heading_path: list[str]


class _DocumentFields(BaseModel):
    """What a hit and a document record both say about the document."""

    doc_id: str
    title: str
    type: str
    date: str | None = None
    language: str | None = None
    source: str = Field(description="The file, relative to the folder it was ingested from (absolute only with "
                                    "KB_ABSOLUTE_SOURCES=1)")


class Hit(_DocumentFields):
    score: float = Field(description="Higher is better; score_kind says which score")
    score_kind: str
    passages: list[Passage]
    metadata: dict[str, list[str]]
    chunk_id: int | None = Field(None, description="The best passage's fields, flattened")
    page: int | None = None
    page_label: str | None = None
    heading_path: list[str]
    snippet: str
    highlights: list[tuple[int, int]]
    cite_url: str = Field(description="Where the best passage opens, under this API: a PDF's file at the page "
                                      "(…/file#page=6), any other document's page at the passage (…/view#…:~:text=…)")


class SearchResult(BaseModel):
    query: str
    mode: str = Field(pattern=RESULT_MODE_PATTERN)
    k: int
    hits: list[Hit]
    confident: bool
    facets: dict[str, dict[str, int]]
    took_ms: float
    filters: dict[str, Any] = Field(description="The filters applied, in the index's own values (type=tool_report, "
                                                "country=GH, topic=apprenticeships)")
    total: int | None = Field(None, description="Documents that pass the filters and hold the quoted phrases (a search "
                                                "ranks among them; a browse lists them)")
    offset: int = 0
    confidence_reason: str = Field("", description="Why the result is or is not a confident match, as the CLI and "
                                                   "the search box say it")
    query_language: str = Field("", description="The question's language (ISO 639-1), detected or given; empty "
                                                "when unknown")
    notices: list[str] = Field(default_factory=list, description="Sentences to show beside the hits")
    corrections: dict[str, str] = Field(default_factory=dict, description="The question's misspelt words (no document "
                                        "and no dictionary has them) and the words searched instead, which a notice "
                                        "names; the same request with as_typed=true searches the words as typed")


class OutlineEntry(BaseModel):
    page: int | None = None
    page_label: str | None = None
    heading_path: list[str]
    chunks: int


class Document(_DocumentFields):
    format: str
    content_hash: str
    description: str | None = None
    n_pages: int | None = None
    metadata: dict[str, list[str]]
    outline: list[OutlineEntry]
    file_url: str


class Facets(BaseModel):
    facets: dict[str, dict[str, int]]


class Topic(BaseModel):
    id: str
    label: str
    description: str
    documents: int


class Topics(BaseModel):
    topics: list[Topic]


class SearchProcesses(BaseModel):
    """`kb serve --workers N`: how many of the N search processes are loaded and alive."""

    ready: int
    total: int


class Health(BaseModel):
    status: str = Field(pattern="^ok$")
    documents: int
    chunks: int
    model: str
    snapshot: str
    updated_at: str
    search_processes: SearchProcesses | None = None  # only with a pool of search processes


class Starting(BaseModel):
    """What /health says while no search process of the pool is ready (started, or replaced after a crash)."""

    model_config = ConfigDict(extra="forbid")
    status: str = Field(pattern="^starting$")
    message: str
    search_processes: SearchProcesses


class FileFailure(BaseModel):
    path: str
    code: str
    reason: str


class SkippedFile(BaseModel):
    path: str = Field(description="A file, or a folder (ending in /), left out on purpose")
    code: str = Field(description="unsupported_type, hidden, temporary, hidden_folder, linked_folder or page_resources")
    reason: str


class FileWarnings(BaseModel):
    path: str
    warnings: list[str] = Field(description="What the parsers said while reading a file that was ingested")


class IngestReport(BaseModel):
    index_dir: str
    added: list[str]
    updated: list[str]
    unchanged: list[str]
    removed: list[str]
    failed: list[FileFailure]
    skipped: list[SkippedFile] = Field(default_factory=list)
    warnings: list[FileWarnings] = Field(default_factory=list)
    chunks_embedded: int
    seconds: float
    counts: dict[str, int]


def example(model: type[BaseModel], data: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    """A route's published 200 answer: its model and one example of it."""
    return {200: {"model": model, "content": {"application/json": {"example": data}}}}


READ_ERRORS = (401, 403, 503)  # a read key may be set; there may be no index yet
WRITE_ERRORS = (401, 403, 409, 503)


HIT_EXAMPLE = {
    "doc_id": "tool-reports/recognition-of-prior-learning-rpl-toolkit.pdf",
    "title": "Recognition of Prior Learning: A Toolkit for Assessment and Certification",
    "type": "tool_report", "date": "2022-05-10", "language": "en",
    "source": "tool-reports/recognition-of-prior-learning-rpl-toolkit.pdf",
    "score": 0.93, "score_kind": "hybrid", "chunk_id": 118, "page": 6, "page_label": "4",
    "heading_path": ["4. Assessment methods"],
    "snippet": "…candidates show what they can do through a portfolio, direct observation and an interview…",
    "highlights": [[41, 50]], "metadata": {"topics": ["recognition-of-prior-learning"], "countries": ["BD"]},
    "cite_url": "/documents/tool-reports/recognition-of-prior-learning-rpl-toolkit.pdf/file#page=6",
    "passages": [],
}
SEARCH_EXAMPLE = {"query": "how are skills learned on the job certified?", "mode": "hybrid", "k": 10, "offset": 0,
                  "hits": [HIT_EXAMPLE], "confident": True,
                  "facets": {"type": {"tool_report": 4, "press_release": 3}, "topic": {"recognition-of-prior-learning": 3}},
                  "took_ms": 42.0, "filters": {}, "total": 24}
