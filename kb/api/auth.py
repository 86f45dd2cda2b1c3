"""Keys, as route dependencies: reads are open unless KB_READ_KEY is set; writes need KB_API_KEY."""

from __future__ import annotations

import hmac

from fastapi import Depends, Request
from starlette.datastructures import Headers

from kb.api.errors import APIError
from kb.config import Settings


def presented_key(headers: Headers) -> str | None:
    """The key a request sends, as 'Authorization: Bearer KEY' or 'X-API-Key: KEY'; None when it sends none."""
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return headers.get("x-api-key")


def same_key(presented: str, expected: str) -> bool:
    """Whether two keys are equal, in constant time (the time taken tells nothing about the key)."""
    return hmac.compare_digest(presented.encode(), expected.encode())


def _check_key(request: Request, expected: str, missing: str, wrong: str) -> None:
    key = presented_key(request.headers)
    if key is None:
        raise APIError(401, "unauthorized", missing, {"WWW-Authenticate": "Bearer"})
    if not same_key(key, expected):
        raise APIError(403, "forbidden", wrong)


# Both are async: they do no I/O, and a sync dependency would cost every request a trip to the threadpool.
async def require_read(request: Request) -> None:
    """Let a read through when no read key is set, or when the request sends it."""
    settings: Settings = request.app.state.settings
    if settings.read_key is not None:
        _check_key(request, settings.read_key, "This index needs a read key: send 'Authorization: Bearer KEY'.",
                   "The key is not valid for reading this index.")


async def require_write(request: Request) -> None:
    """Let a write through only when the server has an API key and the request sends it."""
    settings: Settings = request.app.state.settings
    if settings.api_key is None:
        raise APIError(403, "writes_disabled", "Writes are disabled: the server has no KB_API_KEY.")
    _check_key(request, settings.api_key, "Writes need the API key: send 'Authorization: Bearer KEY'.",
               "The API key is not valid.")


Read = Depends(require_read)
Write = Depends(require_write)
