"""create_app: one FastAPI app for one index, assembled from the routers of this package.

    uvicorn --factory kb.api:create_app      (or: kb serve)
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from http import HTTPMethod

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from kb.api import documents, health, search, topics, web
from kb.api.errors import HANDLERS
from kb.api.head import HeadAsGet
from kb.api.pool import SearchPool
from kb.api.ratelimit import RateLimiter, RateLimitMiddleware, client_identity
from kb.config import Settings
from kb.errors import IndexNotFound
from kb.service import KnowledgeBase

DESCRIPTION = "Semantic and keyword search over the knowledge base: press releases, tool reports and skills guides."
# In the order they are matched; documents' own routes are ordered among themselves (kb/api/documents.py).
ROUTERS = (search.router, documents.router, topics.router, health.router, web.router)


def warm_up(kb: KnowledgeBase) -> None:
    """Load the index and the model before the first request, so the first user does not wait. The second search
    (another k: not the result cache's) reads what a reader loads from its second search on (the flat screen)."""
    try:
        kb.search("warm up", k=1)
        kb.search("warm up", k=2)
    except IndexNotFound:
        pass  # /health says so; searches answer 503 until an index exists


@asynccontextmanager
async def _warm_up(app: FastAPI) -> AsyncIterator[None]:
    # With a pool of search processes, they warm up themselves, and this process only reads the index.
    pool: SearchPool | None = app.state.pool
    if pool is None:
        warm_up(app.state.kb)
    else:
        await pool.start()
        try:
            app.state.kb.reader()
        except IndexNotFound:
            pass
    try:
        yield
    finally:
        if pool is not None:
            pool.close()


def create_app(settings: Settings | None = None, kb: KnowledgeBase | None = None,
               clock: Callable[[], float] = time.monotonic, search_processes: int = 0) -> FastAPI:
    """The API for one index. Reads are open unless KB_READ_KEY is set; writes need KB_API_KEY.

    `settings` are the server's (keys, CORS, rate limit); `kb` defaults to a KnowledgeBase over them.
    `clock` is the rate limiter's (seconds, monotonic); tests pass one they can move. `search_processes`: searches
    run in this many processes of their own, fed from one queue (kb/api/pool.py); 0: in this one.
    """
    settings = settings or Settings.from_env()
    kb = kb or KnowledgeBase(settings)
    # docs_url/redoc_url None: kb/api/web.py serves /docs and /redoc with their scripts (FastAPI's own pages load them from a CDN).
    app = FastAPI(lifespan=_warm_up, title="kb", version="0.1.0", description=DESCRIPTION, exception_handlers=HANDLERS,
                  docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.kb = kb
    app.state.answers = search.answer_cache(kb.settings.result_cache)
    app.state.pool = SearchPool(kb.settings, search_processes) if search_processes else None
    app.state.rate_limiter = None
    if settings.rate_limit:
        app.state.rate_limiter = RateLimiter(settings.rate_limit, settings.rate_burst, clock)
        app.add_middleware(RateLimitMiddleware, limiter=app.state.rate_limiter, client_of=client_identity(settings))
    if settings.cors_origins:  # added last, so it wraps the rate limit: a browser can read a 429 too
        app.add_middleware(
            CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=[HTTPMethod.GET, HTTPMethod.POST, HTTPMethod.DELETE],
            allow_headers=["Authorization", "X-API-Key", "Content-Type"], max_age=600,
        )
    app.add_middleware(HeadAsGet, routes_of=lambda: app.router.routes)  # HEAD wherever GET works
    for router in ROUTERS:
        app.include_router(router)
    return app
