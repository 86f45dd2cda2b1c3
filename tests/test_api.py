"""The HTTP API: every route, every error path, the key rules and the CORS rule."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from kb import KnowledgeBase, Settings
from kb.api import create_app
from kb.api.ratelimit import RateLimiter
from kb.cli import main as cli
from kb.errors import ConfigError
from tests.conftest import CORPUS

RPL = "tool-reports/recognition-of-prior-learning-rpl-toolkit.pdf"


def _error_shape(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert "Traceback" not in response.text
    if code:
        assert body["error"]["code"] == code, body
    return body["error"]


@pytest.fixture(scope="module")
def client(corpus_kb) -> TestClient:
    with TestClient(create_app(corpus_kb.settings, kb=corpus_kb)) as c:
        yield c


# -- writes and keys run on a small index of their own, with the word-hash test model -------------------

@pytest.fixture
def writable(tmp_path, fake_embedder):
    settings = Settings(index_dir=tmp_path / "index", api_key="s3cret-key")
    kb = KnowledgeBase(settings, embedder=fake_embedder)
    kb.ingest([CORPUS / "press-releases"])
    with TestClient(create_app(settings, kb=kb)) as c:
        yield c, kb


pytestmark = pytest.mark.slow


def test_search_equals_the_cli_json_for_the_same_query(client, corpus_kb):
    query = "skills partnership between countries of origin and destination for migrant workers"
    api = client.get("/search", params={"q": query, "k": 5})
    assert api.status_code == 200, api.text
    result = CliRunner().invoke(cli, ["search", "--index", str(corpus_kb.settings.index_dir), "--json", "-k", "5", query])
    assert result.exit_code == 0, result.output
    cli_data, api_data = json.loads(result.output), api.json()
    for data in (cli_data, api_data):
        data.pop("took_ms")
    assert cli_data["offset"] == api_data["offset"] == 0  # the CLI shows the first page
    # The one-shot CLI opens the model without repacking its weights: the same sums in another order, so
    # scores may differ in the last printed digit. Hits, order, passages and facets must not.
    assert _rounded(api_data) == _rounded(cli_data)


def _rounded(data, digits: int = 4):
    """A JSON value with every float rounded."""
    if isinstance(data, float):
        return round(data, digits)
    if isinstance(data, dict):
        return {k: _rounded(v, digits) for k, v in data.items()}
    if isinstance(data, list):
        return [_rounded(v, digits) for v in data]
    return data


def test_search_filters_facets_and_paging(client):
    everything = client.get("/search", params={"q": "apprenticeships", "k": 6}).json()
    assert everything["facets"]["type"]
    guides = client.get("/search", params={"q": "apprenticeships", "type": "skills_guide"}).json()
    assert guides["hits"] and {h["type"] for h in guides["hits"]} == {"skills_guide"}
    page2 = client.get("/search", params={"q": "apprenticeships", "k": 3, "offset": 3}).json()
    assert [h["doc_id"] for h in page2["hits"]] == [h["doc_id"] for h in everything["hits"][3:6]]
    ghana = client.get("/search", params={"q": "digital skills", "country": "Ghana"}).json()
    assert ghana["hits"] and all("GH" in h["metadata"].get("countries", []) for h in ghana["hits"])
    assert ghana["facets"]["region"] == {"Africa": len(ghana["hits"])} or "Africa" in ghana["facets"]["region"]
    recent = client.get("/search", params={"q": "skills", "since": "2024"}).json()
    assert recent["hits"] and all(h["date"] >= "2024" for h in recent["hits"])


@pytest.mark.parametrize("params, status, code", [
    ({"q": ""}, 422, "invalid_request"),
    ({"q": "x" * 1001}, 422, "invalid_request"),
    ({"q": "skills", "k": 0}, 422, "invalid_request"),
    ({"q": "skills", "k": 51}, 422, "invalid_request"),
    ({"q": "skills", "mode": "magic"}, 422, "invalid_request"),
    ({"q": "skills", "since": "last tuesday"}, 400, "bad_date"),
    ({"q": "skills", "colour": "blue"}, 400, "unknown_parameter"),
    ({"q": "   "}, 400, "bad_query"),
])
def test_search_rejects_bad_requests_in_one_shape(client, params, status, code):
    _error_shape(client.get("/search", params=params), status, code)


def test_browse_without_a_query_lists_documents_newest_first_with_counts(client):
    data = client.get("/search", params={"type": "tool_report", "k": 50}).json()
    assert data["mode"] == "browse" and data["total"] == len(data["hits"]) >= 5
    assert {h["type"] for h in data["hits"]} == {"tool_report"}
    dates = [h["date"] for h in data["hits"]]
    assert dates == sorted(dates, reverse=True)
    assert data["facets"]["type"] == {"tool_report": data["total"]}, "facets count documents under the filter"
    topics = client.get("/topics").json()["topics"]
    assert len(topics) >= 20 and {"id", "label", "description", "documents"} <= set(topics[0])
    apprenticeships = next(t for t in topics if t["id"] == "apprenticeships")
    browse = client.get("/search", params={"topic": "apprenticeships", "k": 50}).json()
    assert browse["total"] == apprenticeships["documents"] > 0


def test_document_metadata_outline_and_file(client):
    doc = client.get(f"/documents/{RPL}").json()
    assert doc["title"].startswith("Recognition of Prior Learning") and doc["type"] == "tool_report"
    assert doc["outline"][0]["page"] == 1 and any(o["page_label"] == "4" for o in doc["outline"])
    pdf = client.get(doc["file_url"])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    page = client.get("/documents/press-releases/2023-06-quality-apprenticeships-recommendation-adopted.html/file")
    assert page.headers["content-type"].startswith("text/html")
    assert "sandbox" in page.headers["content-security-policy"]


@pytest.mark.parametrize("path", [
    "/documents/../../../etc/passwd/file",
    "/documents/..%2F..%2F..%2Fetc%2Fpasswd/file",
    "/documents/%2Fetc%2Fpasswd/file",
    "/documents/press-releases/..%2F..%2Fpyproject.toml/file",
    "/documents/no-such-doc.pdf",
    "/documents/no-such-doc.pdf/similar",
    "/no-such-route",
])
def test_unknown_documents_and_traversal_are_404(client, path):
    _error_shape(client.get(path), 404)


def test_similar_documents_exclude_the_document_itself(client):
    data = client.get(f"/documents/{RPL}/similar", params={"k": 3}).json()
    ids = [h["doc_id"] for h in data["hits"]]
    assert len(ids) == 3 and RPL not in ids


def test_facets_and_health(client):
    facets = client.get("/facets").json()["facets"]
    assert sum(facets["type"].values()) >= 24
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["documents"] >= 24 and health["model"] == "all-MiniLM-L6-v2"


def test_openapi_documents_every_route(client):
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for route in ("/search", "/documents/{doc_id}", "/documents/{doc_id}/file", "/documents/{doc_id}/similar",
                  "/facets", "/health", "/documents"):
        assert route in paths, route
    assert client.get("/docs").status_code == 200


def test_openapi_declares_the_facets_every_index_filters_on(client, tmp_path, fake_embedder):
    """topic, country, region and year are listed in the API docs (Swagger's form offers them) and filter; on an
    index whose documents carry none of them, a value is no 400 but a search that no document passes."""
    listed = {p["name"]: p for p in client.get("/openapi.json").json()["paths"]["/search"]["get"]["parameters"]}
    for name in ("topic", "country", "region", "year"):
        assert name in listed and listed[name]["schema"]["type"] == "array", name
    africa = client.get("/search", params=[("q", "skills"), ("region", "Africa")]).json()
    assert africa["hits"] and africa["filters"] == {"region": ["Africa"]}
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "note.txt").write_text("Tiny note\n\nApprenticeships help young people learn a trade.\n")
    settings = Settings(index_dir=tmp_path / "index")
    bare = KnowledgeBase(settings, embedder=fake_embedder)
    bare.ingest([tmp_path / "docs"])
    with TestClient(create_app(settings, kb=bare)) as plain:
        for name, value in (("region", "Africa"), ("year", "2023")):
            answer = plain.get("/search", params={"q": "trade", name: value})
            assert answer.status_code == 200, answer.text
            assert not answer.json()["hits"] and "no document passes the filters" in answer.json()["confidence_reason"]


def test_widget_and_demo_page(client):
    js = client.get("/widget.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert len(js.content) <= 20 * 1024
    assert "innerHTML" not in js.text, "document text must never be injected as HTML"
    page = client.get("/")
    assert "<kb-search" in page.text and 'src="/widget.js"' in page.text


def test_writes_are_disabled_without_a_server_key(client):
    _error_shape(client.delete(f"/documents/{RPL}"), 403, "writes_disabled")
    _error_shape(client.post("/documents", files={"files": ("a.txt", b"hello")}), 403, "writes_disabled")


def test_write_key_rules(writable):
    client, _ = writable
    _error_shape(client.post("/documents", files={"files": ("a.txt", b"Title\n\nText")}), 401, "unauthorized")
    _error_shape(client.post("/documents", files={"files": ("a.txt", b"Title\n\nText")},
                             headers={"Authorization": "Bearer wrong"}), 403, "forbidden")
    _error_shape(client.delete("/documents/x", headers={"X-API-Key": "wrong"}), 403, "forbidden")


def test_upload_then_search_then_delete(writable):
    client, kb = writable
    auth = {"Authorization": "Bearer s3cret-key"}
    text = b"Beekeeping for refugees\n\nA cooperative teaches refugees to keep bees and sell honey in local markets."
    response = client.post("/documents", files=[("files", ("bees.txt", text, "text/plain"))], headers=auth)
    assert response.status_code == 201, response.text
    assert response.json()["counts"]["added"] == 1
    hits = client.get("/search", params={"q": "honey bees refugees", "mode": "keyword"}).json()["hits"]
    assert hits[0]["doc_id"] == "bees.txt"
    assert client.get("/documents/bees.txt/file").content == text
    assert client.delete("/documents/bees.txt", headers=auth).status_code == 204
    _error_shape(client.get("/documents/bees.txt"), 404)
    _error_shape(client.delete("/documents/bees.txt", headers=auth), 404)


def test_uploads_are_kept_beside_the_index_and_leave_with_their_document(writable, tmp_path):
    client, kb = writable
    auth = {"X-API-Key": "s3cret-key"}
    uploads, index = kb.settings.uploads_folder, kb.settings.index_dir.resolve()
    assert uploads == index.parent / "index-uploads"
    text = b"Kite making\n\nVillage workshops teach kite making to school leavers."
    assert client.post("/documents", files={"files": ("kites.md", text)}, headers=auth).status_code == 201
    assert (uploads / "kites.md").read_bytes() == text
    assert not list(index.rglob("kites.md")), "nothing of an upload is kept inside the index folder"
    assert not [p for p in uploads.iterdir() if p.name != "kites.md"], "the staging folder is gone"
    assert client.delete("/documents/kites.md", headers=auth).status_code == 204
    assert not (uploads / "kites.md").exists()
    # A document ingested from a folder of its own keeps its file when it leaves the index.
    folder = tmp_path / "shared-drive"
    folder.mkdir()
    (folder / "bees.txt").write_text("Beekeeping\n\nRefugees keep bees and sell honey.", encoding="utf-8")
    kb.ingest([folder])
    assert client.delete("/documents/bees.txt", headers=auth).status_code == 204
    assert (folder / "bees.txt").exists()


def test_upload_refuses_unknown_types(writable):
    client, _ = writable
    response = client.post("/documents", files={"files": ("run.exe", b"MZ...")}, headers={"X-API-Key": "s3cret-key"})
    _error_shape(response, 415, "unsupported_file")


def test_read_key_when_set(corpus_kb):
    settings = replace(corpus_kb.settings, read_key="reader-key")
    with TestClient(create_app(settings, kb=corpus_kb)) as client:
        _error_shape(client.get("/search", params={"q": "skills"}), 401)
        _error_shape(client.get("/search", params={"q": "skills"}, headers={"Authorization": "Bearer nope"}), 403)
        ok = client.get("/search", params={"q": "skills"}, headers={"Authorization": "Bearer reader-key"})
        assert ok.status_code == 200
        assert client.get("/health").status_code == 200


def test_cors_allows_only_configured_origins(corpus_kb):
    settings = replace(corpus_kb.settings, cors_origins=("http://intranet.example",))
    with TestClient(create_app(settings, kb=corpus_kb)) as client:
        allowed = client.get("/search", params={"q": "skills"}, headers={"Origin": "http://intranet.example"})
        assert allowed.headers.get("access-control-allow-origin") == "http://intranet.example"
        other = client.get("/search", params={"q": "skills"}, headers={"Origin": "http://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        preflight = client.options("/search", headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "GET"})
        assert "access-control-allow-origin" not in preflight.headers
    with TestClient(create_app(corpus_kb.settings, kb=corpus_kb)) as client:  # default: no origins at all
        response = client.get("/search", params={"q": "skills"}, headers={"Origin": "http://intranet.example"})
        assert "access-control-allow-origin" not in response.headers


def test_the_server_picks_up_a_snapshot_written_by_another_process(writable, tmp_path, fake_embedder):
    client, kb = writable
    before = client.get("/health").json()
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "kites.txt").write_text("Kite making\n\nVillage workshops teach kite making to school leavers.", encoding="utf-8")
    KnowledgeBase(kb.settings, embedder=fake_embedder).ingest([extra])  # as a separate `kb ingest` would
    after = client.get("/health").json()
    assert after["snapshot"] != before["snapshot"] and after["documents"] == before["documents"] + 1
    hits = client.get("/search", params={"q": "kite making workshops", "mode": "keyword"}).json()["hits"]
    assert hits[0]["doc_id"] == "kites.txt"


def test_a_new_snapshot_is_opened_off_the_event_loop(writable, tmp_path, fake_embedder, monkeypatch):
    """Opening a new snapshot and reading its facet values takes a moment on a large index; the server does it in a
    thread, so that the requests it serves meanwhile (cached answers, other routes) do not wait for it."""
    import asyncio

    client, kb = writable
    client.get("/search", params={"q": "skills", "mode": "keyword"})
    assert kb.keys_ready()
    opened: list[bool] = []  # for each opening: whether it ran on an event loop

    def on_a_loop() -> bool:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return False
        return True

    real = kb.open_snapshot
    monkeypatch.setattr(kb, "open_snapshot", lambda: (opened.append(on_a_loop()), real())[1])
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "kites.txt").write_text("Kite making\n\nVillage workshops teach kite making to school leavers.", encoding="utf-8")
    KnowledgeBase(kb.settings, embedder=fake_embedder).ingest([extra])
    assert not kb.keys_ready()
    found = client.get("/search", params={"q": "kite making workshops", "mode": "keyword", "lang": "en"})
    assert found.status_code == 200 and found.json()["hits"][0]["doc_id"] == "kites.txt"
    assert opened == [False] and kb.keys_ready()
    client.get("/search", params={"q": "kite", "mode": "keyword"})
    assert opened == [False]  # once a snapshot


# -- what the fuzzer found (tests/test_fuzz.py), kept as plain regression tests --------------------------

def test_search_pages_past_the_first_fifty_documents(writable):
    client, _ = writable
    deep = client.get("/search", params={"q": "skills", "k": 10, "offset": 45, "mode": "keyword"})
    assert deep.status_code == 200, deep.text
    assert deep.json()["hits"] == [] and deep.json()["k"] == 10 and deep.json()["offset"] == 45
    first, second = (client.get("/search", params={"q": "skills", "k": 2, "offset": o, "mode": "keyword"}).json()
                     for o in (0, 2))
    assert second["hits"] and {h["doc_id"] for h in first["hits"]}.isdisjoint(h["doc_id"] for h in second["hits"])


@pytest.mark.parametrize("since, status", [
    ("2024", 200), ("2024-02", 200), ("2024-02-29", 200), ("", 200),
    ("2023-02-29", 400), ("2022-13", 400), ("2022-05-10junk", 400), ("٢٠٢٢", 400), ("10 May 2022", 400),
])
def test_dates_are_exactly_what_the_openapi_pattern_says(writable, since, status):
    client, _ = writable
    response = client.get("/search", params={"q": "skills", "since": since, "mode": "keyword"})
    assert response.status_code == status, response.text
    if status == 400:
        _error_shape(response, 400, "bad_date")


@pytest.mark.parametrize("files, code", [
    ([("a.txt", b"One\n\nfirst"), ("a.txt", b"Two\n\nsecond")], "duplicate_file"),  # was a 500
    ([("x" * 300 + ".txt", b"Long\n\nname")], "bad_file_name"),  # was a 500: File name too long
])
def test_uploads_with_names_no_file_can_have_are_refused_before_anything_is_stored(writable, files, code):
    client, kb = writable
    before = client.get("/health").json()["documents"]
    response = client.post("/documents", files=[("files", f) for f in files], headers={"X-API-Key": "s3cret-key"})
    _error_shape(response, 400, code)
    assert client.get("/health").json()["documents"] == before
    assert not list(kb.settings.uploads_folder.glob("*"))


def test_openapi_documents_one_error_shape_for_every_error_status(writable):
    client, _ = writable
    spec = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in json.dumps(spec), "422 answers are in the one error shape too"
    assert "429" not in spec["paths"]["/health"]["get"]["responses"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if path == "/health":
                continue
            errors = {status: r for status, r in operation["responses"].items() if status >= "400"}
            assert {"401", "403", "429"} <= set(errors), (method, path)
            for response in errors.values():
                assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorResponse"}
            assert errors["429"]["headers"]["Retry-After"]["schema"] == {"type": "integer", "minimum": 1}



def test_openapi_examples_are_valid_against_their_own_schemas(writable):
    jsonschema_rs = pytest.importorskip("jsonschema_rs")
    client, _ = writable
    spec = client.get("/openapi.json").json()
    checked = 0
    for path, operations in spec["paths"].items():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                for content in response.get("content", {}).values():
                    if "example" in content and "schema" in content:
                        schema = {**content["schema"], "components": spec["components"]}
                        errors = [str(e)[:200] for e in jsonschema_rs.validator_for(schema).iter_errors(content["example"])]
                        assert not errors, (path, status, errors)
                        checked += 1
    assert checked >= 6  # search, similar, document, facets, topics, health

# -- the rate limit: a token bucket per client, on a clock the test moves -------------------------------

class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def limited(tmp_path, fake_embedder):
    """Build apps on one small index with a rate of one request every 2 s and bursts of 3."""
    settings = Settings(index_dir=tmp_path / "index", api_key="s3cret-key", rate_limit=0.5, rate_burst=3)
    kb = KnowledgeBase(settings, embedder=fake_embedder)
    kb.ingest([CORPUS / "press-releases"])
    clock = FakeClock()

    def make(**overrides):
        return create_app(replace(settings, **overrides), kb=kb, clock=clock)

    return make, clock


def _from(app, address: str = "10.0.0.7") -> TestClient:
    return TestClient(app, client=(address, 50000))


def test_over_the_burst_answers_429_with_retry_after_then_lets_the_client_back(limited):
    make, clock = limited
    client = _from(make())
    assert [client.get("/facets").status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/search", params={"q": "skills"})
    _error_shape(refused, 429, "rate_limited")
    assert refused.headers["Retry-After"] == "2"  # one token a 2 s, whole seconds
    clock.now += 1.0
    assert client.get("/facets").headers["Retry-After"] == "1"
    clock.now += 1.0
    assert client.get("/facets").status_code == 200
    assert client.get("/facets").status_code == 429
    clock.now += 3600  # a long wait fills the bucket to the burst, no further
    assert [client.get("/facets").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_each_client_has_its_own_bucket_and_only_the_right_key_names_a_client(limited):
    make, _ = limited
    app = make()
    first, second = _from(app, "10.0.0.7"), _from(app, "10.0.0.8")
    for _ in range(3):
        first.get("/facets")
    assert first.get("/facets").status_code == 429
    assert second.get("/facets").status_code == 200
    assert first.get("/facets", headers={"Authorization": "Bearer made-up"}).status_code == 429
    keyed = first.get("/facets", headers={"Authorization": "Bearer s3cret-key"})
    assert keyed.status_code == 200, "the API key's holder has a bucket of its own"


def test_forwarded_for_counts_only_from_a_trusted_proxy(limited):
    make, _ = limited
    direct = _from(make(), "10.0.0.7")
    for n in range(3):
        direct.get("/facets", headers={"X-Forwarded-For": f"203.0.113.{n}"})
    assert direct.get("/facets", headers={"X-Forwarded-For": "203.0.113.99"}).status_code == 429, "spoofable: ignored"

    proxied = _from(make(trusted_proxies=("10.0.0.0/24",)), "10.0.0.2")
    for _ in range(3):
        proxied.get("/facets", headers={"X-Forwarded-For": "203.0.113.5"})
    assert proxied.get("/facets", headers={"X-Forwarded-For": "203.0.113.5"}).status_code == 429
    assert proxied.get("/facets", headers={"X-Forwarded-For": "203.0.113.6"}).status_code == 200
    # Only the address the proxy saw counts; what the client wrote in front of it is ignored.
    spoofed = proxied.get("/facets", headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.5"})
    assert spoofed.status_code == 429


def test_health_is_never_limited_and_zero_turns_the_limit_off(limited):
    make, _ = limited
    client = _from(make())
    assert all(client.get("/health").status_code == 200 for _ in range(10))
    unlimited = _from(make(rate_limit=0))
    assert unlimited.app.state.rate_limiter is None
    assert all(unlimited.get("/facets").status_code == 200 for _ in range(10))


def test_the_rate_limiter_forgets_idle_clients_and_caps_how_many_it_tracks():
    clock = FakeClock()
    limiter = RateLimiter(rate=1.0, burst=5, clock=clock, max_clients=100)
    for n in range(1000):
        assert limiter.acquire(f"ip:{n}") == 0
    assert len(limiter) == 100
    clock.now += 5  # long enough for every bucket to be full again: the same as no bucket
    limiter.acquire("ip:new")
    assert len(limiter) == 1


def test_rate_limit_settings_are_checked(monkeypatch):
    monkeypatch.setenv("KB_RATE_LIMIT", "fast")
    with pytest.raises(ConfigError, match="KB_RATE_LIMIT"):
        Settings.from_env()
    monkeypatch.setenv("KB_RATE_LIMIT", "5")
    monkeypatch.setenv("KB_RATE_BURST", "0")
    with pytest.raises(ConfigError, match="KB_RATE_BURST"):
        Settings.from_env()
    monkeypatch.setenv("KB_RATE_BURST", "10")
    monkeypatch.setenv("KB_TRUSTED_PROXIES", "10.0.0.0/8, proxy.example")
    with pytest.raises(ConfigError, match="proxy.example"):
        Settings.from_env()
    monkeypatch.setenv("KB_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.4")
    settings = Settings.from_env()
    assert (settings.rate_limit, settings.rate_burst, settings.trusted_proxies) == (5.0, 10, ("10.0.0.0/8", "192.168.1.4"))


# -- settings the server needs: where uploads go -----

def test_uploads_folder_is_beside_the_index_unless_set_and_never_inside_it(monkeypatch, tmp_path):
    monkeypatch.setenv("KB_INDEX", str(tmp_path / "kb-index"))
    assert Settings.from_env().uploads_folder == (tmp_path / "kb-index-uploads").resolve()
    monkeypatch.setenv("KB_UPLOADS", str(tmp_path / "incoming"))
    assert Settings.from_env().uploads_folder == tmp_path / "incoming"
    monkeypatch.setenv("KB_UPLOADS", str(tmp_path / "kb-index" / "uploads"))
    with pytest.raises(ConfigError, match="inside the index folder"):
        Settings.from_env()


