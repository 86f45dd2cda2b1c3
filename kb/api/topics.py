"""GET /topics and GET /facets: what the knowledge base holds, counted by topic and by facet value."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from kb.api.auth import Read
from kb.api.deps import KB
from kb.api.schema import READ_ERRORS, Facets, Topics, errors_for, example

router = APIRouter()

FACETS_EXAMPLE = {"facets": {"type": {"press_release": 8, "tool_report": 8}, "region": {"Africa": 9}}}
TOPICS_EXAMPLE = {"topics": [{"id": "apprenticeships", "label": "Apprenticeships",
                              "description": "Work-based learning that combines…", "documents": 6}]}


@router.get("/facets", response_model=None, dependencies=[Read], summary="Document counts per facet value",
            responses=example(Facets, FACETS_EXAMPLE) | errors_for(*READ_ERRORS))
def facets(kb: KB) -> dict[str, Any]:
    """Counts of documents by type, topic, country, language and year over the whole index."""
    return {"facets": kb.facets()}


@router.get("/topics", response_model=None, dependencies=[Read], summary="Skills topics with document counts",
            responses=example(Topics, TOPICS_EXAMPLE) | errors_for(*READ_ERRORS))
def topics(kb: KB) -> dict[str, Any]:
    """Every topic of the taxonomy (id, label, description) with the number of documents tagged with it."""
    return {"topics": kb.topics()}
