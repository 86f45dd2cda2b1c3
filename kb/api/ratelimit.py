"""The API's rate limit: a token bucket per client, and who a request counts as coming from."""

from __future__ import annotations

import hashlib
import ipaddress
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from kb.api.auth import presented_key, same_key
from kb.api.errors import error_response
from kb.config import Settings

# Requests the rate limit never counts: load balancers and monitors poll /health.
UNLIMITED_PATHS = {"/health"}
# Clients the rate limiter remembers at most; past that the one seen longest ago is forgotten.
MAX_TRACKED_CLIENTS = 10_000


class RateLimiter:
    """Token buckets per client: `rate` requests a second, `burst` at once. Thread-safe; memory stays bounded.

    A bucket idle long enough to have filled up again is the same as no bucket, so it is dropped; past
    `max_clients` the client seen longest ago is forgotten too (it starts again with a full bucket).
    """

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic,
                 max_clients: int = MAX_TRACKED_CLIENTS) -> None:
        self.rate, self.burst, self.clock, self.max_clients = rate, burst, clock, max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # client -> (tokens, last seen), oldest first
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._buckets)

    def acquire(self, client: str) -> float:
        """Take a token for one request: 0 when it may go ahead, else the seconds until it may."""
        now = self.clock()
        with self._lock:
            tokens, seen = self._buckets.pop(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + max(0.0, now - seen) * self.rate)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
            self._buckets[client] = (tokens - 1 if wait == 0 else tokens, now)
            self._forget_idle(now)
        return wait

    def _forget_idle(self, now: float) -> None:
        full_after = self.burst / self.rate
        while self._buckets:
            client, (_, seen) = next(iter(self._buckets.items()))
            if now - seen < full_after and len(self._buckets) <= self.max_clients:
                break
            del self._buckets[client]


class RateLimitMiddleware:
    """Answers 429 with Retry-After, in the one error shape, to a client over its rate; /health is never limited."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter, client_of: Callable[[Scope], str]) -> None:
        self.app, self.limiter, self.client_of = app, limiter, client_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] not in UNLIMITED_PATHS:
            wait = self.limiter.acquire(self.client_of(scope))
            if wait:
                seconds = str(max(1, math.ceil(wait)))
                response = error_response(429, "rate_limited", f"Too many requests from this client; try again in {seconds} s.",
                                  {"Retry-After": seconds})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def client_identity(settings: Settings) -> Callable[[Scope], str]:
    """Who a request is from, for the rate limit: the API key's holder, else the client's address.

    Only the right API key names a client: a made-up key would otherwise buy a fresh bucket per request.
    X-Forwarded-For is believed only from KB_TRUSTED_PROXIES; the client is then the nearest address in it
    that is not itself a trusted proxy (the ones further left are whatever the client chose to send).
    """
    proxies = [ipaddress.ip_network(p, strict=False) for p in settings.trusted_proxies]
    key_id = "key:" + hashlib.sha256(settings.api_key.encode()).hexdigest()[:16] if settings.api_key else None

    def trusted(address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in proxies)

    def client_of(scope: Scope) -> str:
        headers = Headers(scope=scope)
        key = presented_key(headers)
        if key_id and key and same_key(key, settings.api_key or ""):
            return key_id
        address = scope["client"][0] if scope.get("client") else "unknown"
        if proxies and trusted(address):
            hops = [h.strip() for h in ",".join(headers.getlist("x-forwarded-for")).split(",") if h.strip()]
            for hop in reversed(hops):
                address = hop
                if not trusted(hop):
                    break
        return "ip:" + address

    return client_of
