"""The HTTP API: a package of routers over KnowledgeBase, which create_app assembles.

    uvicorn --factory kb.api:create_app      (or: kb serve)

    app.py         create_app: settings and the KnowledgeBase on app.state, middlewares, routers, handlers
    search.py      GET /search (and browse, without a question)
    documents.py   GET /documents/{id}, …/file, …/similar; POST /documents (upload); DELETE /documents/{id}
    topics.py      GET /topics, GET /facets
    health.py      GET /health
    web.py         GET / (the demo page), GET /widget.js (the search box)
    errors.py      the one JSON error shape, and the handlers that give it to every error
    auth.py        read and write keys, as route dependencies
    deps.py        the app's KnowledgeBase, as a route dependency
    filters.py     a search's query parameters made into Filters
    schema.py      the published response shapes and the OpenAPI examples
    ratelimit.py   a token bucket per client

A new group of routes is one module with an APIRouter, and one line in app.ROUTERS.
"""

from __future__ import annotations

from kb.api.app import create_app

__all__ = ["create_app"]
