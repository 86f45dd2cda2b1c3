"""Every route of the app answers its errors in the one shape {"error": {"code": …, "message": …}}.

The routes are read from the app itself: a route added without an entry in PROVOKED fails the test, and so
does a route (or a mounted app) that answers FastAPI's default {"detail": …}.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import fastapi.routing
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from kb import KnowledgeBase, Settings
from kb.api import create_app
from tests.conftest import CORPUS

pytestmark = pytest.mark.slow

KEY = "s3cret-key"
DOC = "2021-07-nepal-rpl-returning-migrant-workers.txt"  # in corpus/press-releases
AUTH = {"Authorization": f"Bearer {KEY}"}
WRONG = {"Authorization": "Bearer wrong"}
# The framework's own pages: they take no parameters and touch no index, so a wrong method is all that can go wrong.
FRAMEWORK = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}

# For each route, (method, path template): requests that must fail, as (app, path, keyword arguments, status, code).
# `app` names a fixture below; {doc} in a path is the id of a document of the index.
PROVOKED: dict[tuple[str, str], list[tuple[str, str, dict, int, str]]] = {
    ("GET", "/search"): [
        ("indexed", "/search", {"params": {"q": "skills", "k": 0}}, 422, "invalid_request"),
        ("indexed", "/search", {"params": {"q": "skills", "mode": "magic"}}, 422, "invalid_request"),
        ("indexed", "/search", {"params": {"q": "   "}}, 400, "bad_query"),
        ("indexed", "/search", {"params": {"q": "skills", "since": "soon"}}, 400, "bad_date"),
        ("indexed", "/search", {"params": {"q": "skills", "since": "2025", "until": "2020"}}, 400, "backwards_dates"),
        ("indexed", "/search", {"params": {"q": "skills", "region": "West Africa", "country": "KE"}}, 400,
         "countries_outside_region"),
        ("indexed", "/search", {"params": {"q": "skills", "colour": "blue"}}, 400, "unknown_parameter"),
        ("read_key", "/search", {"params": {"q": "skills"}}, 401, "unauthorized"),
        ("read_key", "/search", {"params": {"q": "skills"}, "headers": WRONG}, 403, "forbidden"),
        ("no_index", "/search", {"params": {"q": "skills"}}, 503, "no_index"),
        ("no_index", "/search", {}, 503, "no_index"),
        ("mismatched", "/search", {"params": {"q": "skills"}}, 500, "index_mismatch"),
    ],
    ("GET", "/documents/{doc_id:path}/file"): [
        ("indexed", "/documents/no-such.pdf/file", {}, 404, "not_found"),
        ("indexed", "/documents/../../../etc/passwd/file", {}, 404, "not_found"),
        ("read_key", "/documents/{doc}/file", {}, 401, "unauthorized"),
        ("no_index", "/documents/{doc}/file", {}, 503, "no_index"),
    ],
    ("GET", "/documents/{doc_id:path}/view"): [
        ("indexed", "/documents/no-such.md/view", {}, 404, "not_found"),
        ("indexed", "/documents/../../../etc/passwd/view", {}, 404, "not_found"),
        ("read_key", "/documents/{doc}/view", {}, 401, "unauthorized"),
        ("no_index", "/documents/{doc}/view", {}, 503, "no_index"),
    ],
    ("GET", "/documents/{doc_id:path}/similar"): [
        ("indexed", "/documents/no-such.pdf/similar", {}, 404, "not_found"),
        ("indexed", "/documents/{doc}/similar", {"params": {"k": 51}}, 422, "invalid_request"),
        ("read_key", "/documents/{doc}/similar", {"headers": WRONG}, 403, "forbidden"),
        ("no_index", "/documents/{doc}/similar", {}, 503, "no_index"),
    ],
    ("GET", "/documents/{doc_id:path}"): [
        ("indexed", "/documents/no-such.pdf", {}, 404, "not_found"),
        ("read_key", "/documents/{doc}", {}, 401, "unauthorized"),
        ("no_index", "/documents/{doc}", {}, 503, "no_index"),
    ],
    ("POST", "/documents"): [
        ("indexed", "/documents", {"headers": AUTH}, 422, "invalid_request"),
        ("indexed", "/documents", {"files": {"files": ("run.exe", b"MZ")}, "headers": AUTH}, 415, "unsupported_file"),
        ("indexed", "/documents", {"files": {"files": ("x" * 300 + ".txt", b"x")}, "headers": AUTH}, 400, "bad_file_name"),
        ("indexed", "/documents", {"files": [("files", ("a.txt", b"one")), ("files", ("a.txt", b"two"))],
                                   "headers": AUTH}, 400, "duplicate_file"),
        ("small_files", "/documents", {"files": {"files": ("big.txt", b"x" * 2000)}, "headers": AUTH}, 413, "too_large"),
        ("indexed", "/documents", {"files": {"files": ("a.txt", b"x")}}, 401, "unauthorized"),
        ("indexed", "/documents", {"files": {"files": ("a.txt", b"x")}, "headers": WRONG}, 403, "forbidden"),
        ("read_only", "/documents", {"files": {"files": ("a.txt", b"x")}, "headers": AUTH}, 403, "writes_disabled"),
    ],
    ("DELETE", "/documents/{doc_id:path}"): [
        ("indexed", "/documents/no-such.pdf", {"headers": AUTH}, 404, "not_found"),
        ("indexed", "/documents/{doc}", {}, 401, "unauthorized"),
        ("indexed", "/documents/{doc}", {"headers": WRONG}, 403, "forbidden"),
        ("read_only", "/documents/{doc}", {"headers": AUTH}, 403, "writes_disabled"),
        ("no_index", "/documents/{doc}", {"headers": AUTH}, 503, "no_index"),
    ],
    ("GET", "/facets"): [
        ("read_key", "/facets", {}, 401, "unauthorized"),
        ("no_index", "/facets", {}, 503, "no_index"),
    ],
    ("GET", "/topics"): [
        ("read_key", "/topics", {"headers": WRONG}, 403, "forbidden"),
        ("no_index", "/topics", {}, 503, "no_index"),
        ("bad_taxonomy", "/topics", {}, 500, "bad_config"),
    ],
    # /health's 503 is a state in its own documented shape (NoIndex), which monitors read: see below.
    ("GET", "/health"): [],
    ("GET", "/widget.js"): [],  # a file of the package: only a wrong method can go wrong
    ("GET", "/"): [],  # the demo page, likewise
    ("GET", "/docs/assets/{name}"): [("indexed", "/docs/assets/no-such.js", {}, 404, "not_found")],  # Swagger UI's files
}


def _routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    """(method, path) of every route the app answers, those of included routers too."""
    # FastAPI >= 0.16x keeps an included router as one entry of app.routes; iter_route_contexts opens it.
    contexts = getattr(fastapi.routing, "iter_route_contexts", lambda routes: routes)(app.routes)
    for route in contexts:
        for method in sorted(getattr(route, "methods", None) or {"GET"}):
            if method != "HEAD":
                yield method, route.path


def _assert_error_shape(response, status: int, code: str | None = None) -> None:
    where = f"{response.request.method} {response.request.url}"
    assert response.status_code == status, (where, response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json"), (where, response.headers)
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"error"}, (where, body)
    assert set(body["error"]) == {"code", "message"}, (where, body)
    assert all(isinstance(v, str) and v for v in body["error"].values()), (where, body)
    assert "Traceback" not in response.text, where
    if code is not None:
        assert body["error"]["code"] == code, (where, body)


@pytest.fixture(scope="module")
def apps(tmp_path_factory) -> Iterator[dict[str, TestClient]]:
    """One client per server state: an index with a write key, a read key, no index, and server faults."""
    from tests.conftest import WordHashEmbedder

    root = tmp_path_factory.mktemp("errors")
    embedder = WordHashEmbedder()
    settings = Settings(index_dir=root / "index", api_key=KEY, rate_limit=0)
    kb = KnowledgeBase(settings, embedder=embedder)
    kb.ingest([CORPUS / "press-releases"])
    small = replace(settings, max_file_bytes=1000)
    made = {
        "indexed": create_app(settings, kb=kb),
        "read_key": create_app(replace(settings, read_key="reader-key"), kb=kb),
        "read_only": create_app(replace(settings, api_key=None), kb=kb),
        "small_files": create_app(small, kb=KnowledgeBase(small, embedder=embedder)),
        "no_index": create_app(replace(settings, index_dir=root / "none"), kb=KnowledgeBase(
            replace(settings, index_dir=root / "none"), embedder=embedder)),
        # Built with the word-hash model, opened with the packaged one: the server's fault, not the client's.
        "mismatched": create_app(settings, kb=KnowledgeBase(settings)),
        "bad_taxonomy": create_app(settings, kb=KnowledgeBase(replace(settings, topics_path=root / "missing.yaml"),
                                                              embedder=embedder)),
    }
    # No lifespan: its warm-up would load the model (and fail on the mismatched index at start).
    yield {name: TestClient(app) for name, app in made.items()}


def test_every_route_has_errors_provoked_for_it(apps):
    routes = {route for route in _routes(apps["indexed"].app) if route[1] not in FRAMEWORK}
    assert routes == set(PROVOKED), "a route was added or removed: say in PROVOKED how each of its errors is provoked"


CASES = [(method, case) for (method, _), cases in PROVOKED.items() for case in cases]


@pytest.mark.parametrize("method, case", CASES, ids=[f"{m} {c[1]} {c[0]} {c[3]}" for m, c in CASES])
def test_each_provoked_error_is_in_the_one_shape(apps, method, case):
    app, path, kwargs, status, code = case
    response = apps[app].request(method, path.format(doc=DOC), **kwargs)
    _assert_error_shape(response, status, code)


def test_a_wrong_method_on_every_route_is_405_in_the_one_shape(apps):
    client = apps["indexed"]
    for method, path in _routes(client.app):
        concrete = path.replace("{doc_id:path}", DOC)
        response = client.request("PUT" if method != "PUT" else "PATCH", concrete, headers=AUTH)
        _assert_error_shape(response, 405, "method_not_allowed")
        assert response.headers.get("allow"), (method, path, response.headers)


def test_an_unknown_path_is_404_in_the_one_shape(apps):
    for path in ("/no-such-route", "/search/extra", "/documents/"):
        _assert_error_shape(apps["indexed"].get(path), 404, "not_found")


def test_health_reports_no_index_in_its_own_documented_shape(apps):
    response = apps["no_index"].get("/health")
    assert response.status_code == 503 and set(response.json()) == {"status", "message"}, response.text
    assert response.json()["status"] == "no_index"
    spec = apps["indexed"].get("/openapi.json").json()
    assert spec["paths"]["/health"]["get"]["responses"]["503"]["content"]["application/json"]["schema"]["anyOf"] == [
        {"$ref": "#/components/schemas/NoIndex"}, {"$ref": "#/components/schemas/Starting"}]


def test_a_route_answering_the_default_detail_shape_fails_these_checks(apps):
    """The checks above catch FastAPI's default error shape (a guard on the guard)."""
    plain = TestClient(FastAPI())
    with pytest.raises(AssertionError):
        _assert_error_shape(plain.get("/no-such-route"), 404, "not_found")
