"""GET /search: hybrid, dense or keyword search, or a browse of the documents when there is no question."""

from __future__ import annotations

import json
import re
from functools import partial
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from kb.api.auth import Read
from kb.api.deps import KB
from kb.api.filters import DATE_PATTERN, search_filters
from kb.api.schema import READ_ERRORS, SEARCH_EXAMPLE, SearchResult, errors_for, example
from kb.cache import LRU
from kb.config import DEFAULT_BROWSE_K, DEFAULT_K, DEFAULT_MODE, MAX_K, MAX_OFFSET, MAX_QUERY_CHARS, MODES
from kb.errors import QueryError
from kb.languages import LANGUAGES
from kb.records import to_dict

router = APIRouter()

# A query must hold a character that is not whitespace as Python's str.split() sees it (the service splits
# on exactly these); spelled out so that the OpenAPI pattern means the same in every regex dialect.
QUERY_PATTERN = r"[^\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
MODE_PATTERN = f"^({'|'.join(MODES)})$"
# The question languages languages.check() takes, in either case, or empty (detect it); published, and applied by check().
QUERY_LANG_PATTERN = "^(" + "|".join("".join(f"[{c}{c.upper()}]" for c in code) for code in LANGUAGES) + ")?$"


def answer_cache(size: int) -> LRU:
    """Each search's encoded JSON, keyed by KnowledgeBase.search_key: for app.state.answers.

    Converting and encoding a result took most of a request the knowledge base answered from its own cache;
    keeping the bytes under the same key as that cache's result made cached searches ~3x faster."""
    return LRU(size)


def encoded(data: dict[str, Any]) -> bytes:
    # to_dict already gives JSON types: encoding directly skips FastAPI's re-encoding of every field.
    return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


# The facets every index can filter on, published so that the API docs offer them; read, as any other facet of the
# index is, from the request's parameters (kb/api/filters.py).
FACET_PARAMETERS = (
    ("topic", "Skills topic(s): a tag or its label, e.g. apprenticeships or 'Recognition of prior learning'", "apprenticeships"),
    ("country", "Country or countries: ISO code or name in English, French, Spanish, Italian or Dutch", "KE"),
    ("region", "ILO region(s), e.g. Africa or 'Asia and the Pacific', or subregions, e.g. 'West Africa'", "Africa"),
    ("year", "Publication year(s), e.g. 2023 (since/until take a range)", "2023"),
)
_DECLARED_FACETS = {"parameters": [
    {"name": name, "in": "query", "required": False, "description": f"{text}; repeat it for any of several values",
     "schema": {"type": "array", "items": {"type": "string"}}, "example": [value]}
    for name, text, value in FACET_PARAMETERS]}


@router.get("/search", response_model=None, dependencies=[Read], summary="Search the knowledge base",
            openapi_extra=_DECLARED_FACETS,
            responses=example(SearchResult, SEARCH_EXAMPLE) | errors_for(400, 422, *READ_ERRORS),
            response_description="Documents that answer the query, one hit per document, with facets")
async def search(
    request: Request,
    kb: KB,
    q: Annotated[str | None, Query(min_length=1, max_length=MAX_QUERY_CHARS,
                                   description="The question or keywords; words in quotes are a phrase every document "
                                               "found holds (\"prior learning\"); leave it out to browse (newest first)",
                                   examples=["how can apprenticeships be made more inclusive?"],
                                   json_schema_extra={"pattern": QUERY_PATTERN})] = None,
    k: Annotated[int | None, Query(ge=1, le=MAX_K, description=f"Number of documents (default {DEFAULT_K} for a search, "
                                                               f"{DEFAULT_BROWSE_K} for a browse, as in the CLI)")] = None,
    mode: Annotated[str, Query(pattern=MODE_PATTERN, description="Retrieval mode")] = DEFAULT_MODE,
    type_: Annotated[list[str], Query(alias="type", description="Document type(s), e.g. tool_report (or 'tool report'); "
                                                                "a type the index does not know is a 400 naming the known ones")] = [],  # noqa: B006
    lang: Annotated[list[str], Query(description="Language code(s) or name(s), e.g. en or English")] = [],  # noqa: B006
    query_lang: Annotated[str | None, Query(description="The question's language (en, fr, es, it, nl); detected when "
                                            "left out. `lang` filters the documents' language instead",
                                            json_schema_extra={"pattern": QUERY_LANG_PATTERN})] = None,
    as_typed: Annotated[bool, Query(description="Search the words as typed; by default a misspelt word (no document "
                                                "and no dictionary has it) is searched corrected, and a notice says so")] = False,
    since: Annotated[str | None, Query(description="Dated on or after (YYYY[-MM[-DD]])", examples=["2022"],
                                       json_schema_extra={"pattern": DATE_PATTERN})] = None,
    until: Annotated[str | None, Query(description="Dated on or before (YYYY[-MM[-DD]])",
                                       json_schema_extra={"pattern": DATE_PATTERN})] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Skip this many documents (paging)")] = 0,
) -> Response:
    """Hybrid (default), dense or keyword search. `topic`, `country`, `region`, `year` and any other facet of the
    index's documents filter, e.g. `country=KE` or `topic=apprenticeships` (a label, a singular or a country's name
    works too; an unknown field or value is a 400 that lists the known ones). Without `q`, browse the documents that
    pass the filters, newest first; `total` is the number of documents that pass the filters in both, and `filters`
    echoes them in the index's values.
    The result is the same record that `kb search --json` prints."""
    if query_lang is not None and not re.fullmatch(QUERY_LANG_PATTERN, query_lang):  # the published pattern, applied
        raise QueryError(f"query_lang={query_lang!r} is not a language kb matches questions in; send one of: "
                         f"{', '.join(f'query_lang={code}' for code in LANGUAGES)}, or leave it out to detect it.")
    if not kb.keys_ready():  # a new snapshot (an ingest landed): opened, and its facet values read, off the event loop
        await to_thread.run_sync(kb.open_snapshot)
    filters = search_filters(request, kb, type_, lang, since, until)
    if q is None:  # browse: made afresh each time, so never kept
        browsed = await to_thread.run_sync(partial(kb.browse, filters, k=k or DEFAULT_BROWSE_K, offset=offset))
        body = encoded(to_dict(browsed) | {"offset": offset})
        return Response(body, media_type="application/json")
    if not re.search(QUERY_PATTERN, q):  # the published pattern, applied (FastAPI only publishes it)
        raise QueryError("The query has no words: send q=<your question>, e.g. /search?q=apprenticeships+for+women")
    answers: LRU = request.app.state.answers
    k = k or DEFAULT_K
    key = kb.search_key(q, k=k, mode=mode, filters=filters, offset=offset, query_language=query_lang, correct=not as_typed)
    body = answers.get(key)
    if body is None:
        # If an ingest lands between the two calls, the answer kept is newer than its key says, never older.
        options: dict[str, Any] = {"k": k, "mode": mode, "offset": offset, "query_language": query_lang, "correct": not as_typed}
        pool = request.app.state.pool  # kb serve --workers N: the next free search process (kb/api/pool.py)
        if pool is not None:
            body = await pool.search(q, filters, **options)
        else:
            result = await to_thread.run_sync(partial(kb.search, q, filters=filters, **options))
            body = encoded(to_dict(result) | {"offset": offset})
        answers.put(key, body)
    return Response(body, media_type="application/json")
