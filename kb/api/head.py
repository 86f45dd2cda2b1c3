"""HEAD wherever GET is answered: the GET route's status and headers, without its body.

FastAPI routes answer only the methods they name, so `HEAD /search` would be a 405 although `GET /search`
works; monitors and link checkers send HEAD. The OpenAPI lists the GET operations alone.
"""

from __future__ import annotations

from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    """ASGI middleware: a HEAD request to a path some GET route matches is answered as that GET, body dropped."""

    def __init__(self, app: ASGIApp, routes_of) -> None:
        self.app = app
        self._routes_of = routes_of  # () -> the app's routes, read at request time (routers are added after)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        as_get = {**scope, "method": "GET"}
        if not any(route.matches(as_get)[0] == Match.FULL for route in self._routes_of()):
            await self.app(scope, receive, send)  # no GET here either: the router's own 404 or 405
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return  # the rest of the body is dropped; the last part ends the response
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app(as_get, receive, headers_only)
