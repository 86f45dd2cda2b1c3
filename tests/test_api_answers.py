"""What the API's answers say: no server paths in any route, filters named as the index stores them (or a 400
that says the fix in API terms), one meaning of `total`, HEAD wherever GET works, one browse page size."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace

import fastapi.routing
import pytest
from fastapi.testclient import TestClient

from kb import KnowledgeBase, Settings
from kb.api import create_app
from kb.config import DEFAULT_BROWSE_K
from tests.conftest import CORPUS, ROOT, WordHashEmbedder

pytestmark = pytest.mark.slow

KEY = "answers-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
RPL = "tool-reports/recognition-of-prior-learning-rpl-toolkit.pdf"
# The API's own documentation pages and their files: no index data in them (HEAD is checked on them too).
FRAMEWORK = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/docs/assets/{name}"}


@pytest.fixture(scope="module")
def client(tmp_path_factory) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("answers")
    settings = Settings(index_dir=folder / "index", api_key=KEY, rate_limit=0)
    kb = KnowledgeBase(settings, embedder=WordHashEmbedder())
    assert not kb.ingest([CORPUS]).failed
    with TestClient(create_app(settings, kb=kb)) as c:
        yield c


def _get_routes(app) -> set[str]:
    contexts = getattr(fastapi.routing, "iter_route_contexts", lambda routes: routes)(app.routes)
    return {r.path for r in contexts if "GET" in (getattr(r, "methods", None) or {"GET"})} - FRAMEWORK


# A request for each GET route with an answer worth reading ({doc}: a document's id).
GETS = {
    "/search": ["/search?q=recognition+of+prior+learning", "/search", "/search?q=skills&type=tool+report"],
    "/documents/{doc_id:path}": ["/documents/{doc}"],
    "/documents/{doc_id:path}/file": ["/documents/{doc}/file"],
    "/documents/{doc_id:path}/similar": ["/documents/{doc}/similar"],
    "/documents/{doc_id:path}/view": ["/documents/{doc}/view"],
    "/facets": ["/facets"], "/topics": ["/topics"], "/health": ["/health"], "/widget.js": ["/widget.js"], "/": ["/"],
}


def _strings(data) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield key
            yield from _strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from _strings(value)


def _assert_no_server_path(text: str, where: str, folders: list[str]) -> None:
    for folder in folders:
        assert folder not in text, (where, folder)
    try:
        data = json.loads(text)
    except ValueError:
        return
    for value in _strings(data):
        # The only absolute paths an answer may hold are the API's own (/documents/…/file).
        assert not value.startswith("/") or value.startswith("/documents/"), (where, value)


def test_no_answer_of_any_route_names_a_server_path(client, tmp_path):
    kb = client.app.state.kb
    folders = [str(kb.settings.index_dir.resolve().parent), str(ROOT), "/tmp/"]
    missing = _get_routes(client.app) - set(GETS)
    assert not missing, f"say in GETS how to ask {missing} for an answer"
    for requests in GETS.values():
        for path in requests:
            response = client.get(path.format(doc=RPL))
            assert response.status_code == 200, (path, response.text)
            if response.headers["content-type"].startswith(("application/json", "text/")):
                _assert_no_server_path(response.text, path, folders)
    good, broken = ("notes-on-beekeeping.txt", b"Beekeeping cooperatives train young people."), ("broken.pdf", b"%PDF-1.4 x")
    upload = client.post("/documents", files=[("files", good), ("files", broken)], headers=AUTH)
    assert upload.status_code == 201, upload.text
    report = upload.json()
    assert report["added"] == ["notes-on-beekeeping.txt"] and report["failed"][0]["path"] == "broken.pdf", report
    _assert_no_server_path(upload.text, "POST /documents", folders)
    hit = client.get("/search", params={"q": "beekeeping cooperatives", "mode": "keyword"}).json()["hits"][0]
    assert (hit["doc_id"], hit["source"]) == ("notes-on-beekeeping.txt", "notes-on-beekeeping.txt")
    assert client.delete("/documents/notes-on-beekeeping.txt", headers=AUTH).status_code == 204


def test_absolute_sources_only_behind_their_setting(client):
    kb = client.app.state.kb
    relative = client.get(f"/documents/{RPL}").json()["source"]
    assert relative == RPL
    absolute = KnowledgeBase(replace(kb.settings, absolute_sources=True), embedder=kb.embedder)
    assert absolute.document(RPL).source == str(CORPUS / RPL)
    assert absolute.search("recognition of prior learning", mode="keyword").hits[0].source.startswith(str(CORPUS))


def test_documents_routes_take_a_path_as_a_shell_completes_it(client):
    for ref in (f"corpus/{RPL}", f"./{RPL}"):
        answer = client.get(f"/documents/{ref}")
        assert answer.status_code == 200 and answer.json()["doc_id"] == RPL, (ref, answer.text)
        assert answer.json()["file_url"] == f"/documents/{RPL}/file"
    similar = client.get(f"/documents/corpus/{RPL}/similar").json()
    assert similar["query"] == f"similar:{RPL}" and RPL not in [h["doc_id"] for h in similar["hits"]]
    wrong = client.get("/documents/tool-reports/recognition-of-prior-learning-rpl-toolkt.pdf").json()["error"]
    assert wrong["code"] == "not_found" and repr(RPL) in wrong["message"] and "GET /search" in wrong["message"]
    assert "kb browse" not in wrong["message"]


@pytest.mark.parametrize("params, says", [
    ({"q": "skills", "type": "toolreport"}, ["type=toolreport", "type=tool_report", "tool_report"]),
    ({"type": "toolreport"}, ["type=tool_report"]),
    ({"q": "skills", "lang": "xx"}, ["lang=xx", "Known values: en"]),
    ({"topic": "apprentice-ship-programmes"}, ["topic=apprentice-ship-programmes"]),
    ({"q": "skills", "country": "Narnia"}, ["country=Narnia"]),
])
def test_an_unknown_filter_value_is_a_400_that_says_the_api_fix(client, params, says):
    response = client.get("/search", params=params)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "unknown_filter"
    for words in says:
        assert words in error["message"], (words, error["message"])
    assert "--" not in error["message"] and "kb " not in error["message"], error["message"]


def test_an_unknown_field_and_an_empty_query_name_the_api_fix(client):
    colour = client.get("/search", params={"q": "skills", "colour": "red"}).json()["error"]
    assert colour["code"] == "unknown_parameter" and "country" in colour["message"] and "--where" not in colour["message"]
    empty = client.get("/search", params={"q": "   "}).json()["error"]
    assert "q=" in empty["message"] and "kb search" not in empty["message"]


def test_labels_and_spellings_filter_as_the_type_they_name_and_are_echoed_normalised(client):
    stored = client.get("/search", params={"q": "skills", "type": "tool_report", "mode": "keyword"}).json()
    for spelt in ("tool report", "Tool-Report", "tool reports"):
        data = client.get("/search", params={"q": "skills", "type": spelt, "mode": "keyword"}).json()
        assert data["filters"] == {"type": ["tool_report"]}, data["filters"]
        assert [h["doc_id"] for h in data["hits"]] == [h["doc_id"] for h in stored["hits"]]
    browse = client.get("/search", params={"topic": "apprenticeship", "country": "Ghana"}).json()
    assert browse["filters"] == {"topic": ["apprenticeships"], "country": ["GH"]}, browse["filters"]


def test_a_known_value_without_documents_finds_nothing_rather_than_failing(client):
    data = client.get("/search", params={"q": "skills", "country": "Japan", "mode": "keyword"}).json()
    assert data["hits"] == [] and data["total"] == 0 and data["filters"] == {"country": ["JP"]}


def test_total_is_the_documents_that_pass_the_filters_in_search_and_browse(client):
    for params in ({}, {"type": "tool_report"}, {"topic": "apprenticeships", "since": "2023"}):
        browse = client.get("/search", params=params).json()
        search = client.get("/search", params={**params, "q": "skills", "mode": "keyword"}).json()
        assert isinstance(search["total"], int) and search["total"] == browse["total"], (params, search["total"], browse["total"])
        assert len(search["hits"]) <= search["total"] and browse["total"] == len(client.get(
            "/search", params={**params, "k": 50}).json()["hits"])
    assert client.get("/search").json()["total"] == client.get("/health").json()["documents"]


def test_browse_pages_by_the_cli_s_size(client):
    data = client.get("/search").json()
    assert data["k"] == DEFAULT_BROWSE_K and len(data["hits"]) == min(DEFAULT_BROWSE_K, data["total"])
    assert client.get("/search", params={"q": "skills", "mode": "keyword"}).json()["k"] == 10


def test_head_works_wherever_get_does(client):
    for requests in [*GETS.values(), ["/openapi.json", "/docs", "/redoc"]]:
        for path in requests:
            path = path.format(doc=RPL)
            got, head = client.get(path), client.head(path)
            assert head.status_code == got.status_code == 200, (path, head.status_code)
            assert head.content == b"" and head.headers["content-type"] == got.headers["content-type"], path
    assert client.head("/documents/no-such.pdf").status_code == 404
    refused = client.head("/documents", headers=AUTH)  # POST only: HEAD is still refused
    assert refused.status_code == 405 and "POST" in refused.headers["allow"]


def test_server_faults_are_said_without_the_server_s_paths(tmp_path):
    settings = Settings(index_dir=tmp_path / "none", rate_limit=0)
    with TestClient(create_app(settings, kb=KnowledgeBase(settings, embedder=WordHashEmbedder()))) as empty:
        for path in ("/search?q=skills", "/health", f"/documents/{RPL}"):
            answer = empty.get(path)
            assert answer.status_code == 503 and str(tmp_path) not in answer.text and "kb ingest" not in answer.text, answer.text
            assert "/health" in answer.text, answer.text


def test_a_bad_setting_is_a_500_that_keeps_its_path_for_the_log(client, tmp_path, caplog):
    kb = client.app.state.kb
    broken = KnowledgeBase(replace(kb.settings, topics_path=tmp_path / "missing.yaml"), embedder=kb.embedder)
    with TestClient(create_app(broken.settings, kb=broken)) as c:
        answer = c.get("/topics")
    assert answer.status_code == 500 and answer.json()["error"]["code"] == "bad_config"
    assert str(tmp_path) not in answer.text and str(tmp_path) in caplog.text  # the operator's log has it
