"""What a route gets from the app it is part of: the KnowledgeBase that create_app put on app.state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from kb.service import KnowledgeBase


async def knowledge_base(request: Request) -> KnowledgeBase:
    """The app's KnowledgeBase (async: a lookup, not worth a trip to the threadpool)."""
    return request.app.state.kb


# A route parameter `kb: KB` receives it; it is not a request parameter, so the OpenAPI does not show it.
KB = Annotated[KnowledgeBase, Depends(knowledge_base)]
