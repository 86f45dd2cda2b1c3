"""The one error shape, {"error": {"code": …, "message": …}}, and the handlers that give it to every error.

kb's own errors carry their status (kb/errors.py); the API's edge adds APIError for keys and parameters;
FastAPI's validation errors and Starlette's HTTP errors (no such route, wrong method) are rewritten here
too, so that no route can answer FastAPI's default {"detail": …} (tests/test_api_errors.py checks it).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kb.errors import FilterError, KBError

log = logging.getLogger("kb.api")

# Codes for the HTTP errors FastAPI and Starlette raise themselves.
HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """The one error shape, with its status (and headers such as Retry-After or WWW-Authenticate)."""
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


class APIError(Exception):
    """An error of the HTTP edge itself (keys, query parameters), with its status and code."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


async def _api_error(request: Request, exc: APIError) -> JSONResponse:
    return error_response(exc.status, exc.code, exc.message, exc.headers)


# What a client reads of the server's own faults: their messages name the server's folders and its commands.
NO_INDEX = "This server has no index to search yet; GET /health says when it has one."
SERVER_FAULT = "The server's settings or index cannot answer this ({code}); its operator will find why in its log."


def client_message(exc: KBError) -> str:
    """The error's message as a client may read it: a 5xx is the operator's, and said without server paths."""
    if exc.http_status == 503:
        return NO_INDEX
    if exc.http_status >= 500:
        return SERVER_FAULT.format(code=exc.code)
    return str(exc)


async def _kb_error(request: Request, exc: KBError) -> JSONResponse:
    # A 500 is the server's settings or index: its operator has to hear of it. (A 503, no index yet, is a
    # state /health reports, not a fault to log at every request.)
    if exc.http_status == 500:
        log.error("%s on %s: %s", exc.code, request.url.path, exc)
    return error_response(exc.http_status, exc.code, client_message(exc))


# The query parameter each filter field is given by (the others by their own name: ?topic=…, ?country=…).
FILTER_PARAMS = {"type": "type", "language": "lang"}


def api_spelling(field: str, value: str) -> str:
    """A filter as a request writes it: ("language", "en") -> "lang=en"."""
    return f"{FILTER_PARAMS.get(field, field)}={value}"


async def _filter_error(request: Request, exc: FilterError) -> JSONResponse:
    return error_response(exc.http_status, exc.code, exc.explain(api_spelling))


async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "body", "path"))
        parts.append(f"{where}: {err.get('msg')}" if where else str(err.get("msg")))
    return error_response(422, "invalid_request", "; ".join(parts) or "invalid request")


async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    headers = getattr(exc, "headers", None)
    message = str(exc.detail)
    # The router's own 404 and 405 say only "Not Found" or "Method Not Allowed": say what to do instead.
    if exc.status_code == 404 and message == "Not Found":
        message = f"No route {request.url.path}; the API's routes are listed at /docs."
    elif exc.status_code == 405 and message == "Method Not Allowed":
        allowed = (headers or {}).get("Allow") or "another method"
        message = f"{request.method} is not allowed on {request.url.path}; use {allowed}."
    return error_response(exc.status_code, HTTP_CODES.get(exc.status_code, "http_error"), message, headers)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s", request.url.path)
    return error_response(500, "internal_error", "Something went wrong on the server; the error was logged.")


# For FastAPI(exception_handlers=...). FastAPI's own HTTPException is named as well as Starlette's: a handler
# is found by the raised class first, and FastAPI raises its own when a request body cannot be parsed.
HANDLERS: dict[int | type[Exception], Any] = {
    KBError: _kb_error,
    FilterError: _filter_error,
    APIError: _api_error,
    RequestValidationError: _invalid,
    HTTPException: _http,
    StarletteHTTPException: _http,
    Exception: _unexpected,
}
