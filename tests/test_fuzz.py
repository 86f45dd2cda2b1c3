"""Schemathesis over the API's own /openapi.json, in-process: no server error, every response as documented.

The suite runs KB_FUZZ_CASES generated requests (default 800, about 30 s); `make check` runs 2,000. The seed
is fixed (KB_FUZZ_SEED) so a failure in CI replays on a laptop; another seed explores further.
"""

from __future__ import annotations

import math
import os
import re
import time
from collections import Counter
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable

from kb import KnowledgeBase, Settings
from kb.api import create_app
from tests.conftest import CORPUS, WordHashEmbedder

schemathesis = pytest.importorskip("schemathesis")
import jsonschema_rs  # noqa: E402  (comes with schemathesis)
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.core.parameters import ParameterLocation  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CASES = int(os.environ.get("KB_FUZZ_CASES", "800"))
SEED = int(os.environ.get("KB_FUZZ_SEED", "20261125"))
KEY = "fuzz-write-key"
# Requests go out with the right key in either header, with none, or with a wrong one: writes reach their handlers.
AUTH = st.sampled_from([{"Authorization": f"Bearer {KEY}"}, {"X-API-Key": KEY}, {}, {"Authorization": "Bearer wrong"}])
# Document ids that exist (drawn from the index), that try to escape it, or (None) whatever the generator makes up.
ESCAPES = ["../../../etc/passwd", "..%2F..%2Fpyproject.toml", "/etc/passwd", "uploads/../../x.txt", "", "%00", "."]
# Uploads with names the server has to think about; which names are allowed is more than a schema can say.
NAMES = st.one_of(
    st.sampled_from(["notes.txt", "guide.md", "page.html", "report.pdf", "Notes.TXT", "same.txt", "run.exe",
                     ".hidden.txt", "no-suffix", "a/b/c.txt", "..\\..\\evil.md", "x" * 300 + ".txt", "nul\x00.txt"]),
    st.tuples(st.text(min_size=1, max_size=40), st.sampled_from([".txt", ".md", ".html", ".pdf"])).map("".join),
)
CONTENT = st.one_of(
    st.binary(max_size=3000),
    st.text(max_size=2000).map(lambda t: f"Beekeeping for refugees\n\n{t}".encode("utf-8", "surrogatepass")),
    st.just(b"%PDF-1.4\n%broken"),
    st.just(b"<html><head><title>T</title></head><body><p>Kite making workshops.</p></body></html>"),
)
UPLOADS = st.lists(st.tuples(NAMES, CONTENT), min_size=1, max_size=3)


def refused_only_for_its_names(ctx, response, case):
    """positive_data_acceptance for uploads: a schema-valid upload may be refused, but only for its file names,
    which travel in each part's Content-Disposition where no schema can constrain them."""
    if case.meta.generation.mode.is_positive and response.status_code in (400, 415):
        code = response.json()["error"]["code"]
        assert code in {"unsupported_file", "duplicate_file", "bad_file_name"}, response.text
        return None
    return positive_data_acceptance(ctx, response, case)


def refused_only_for_unknown_filters(ctx, response, case):
    """positive_data_acceptance for searches: a schema-valid search may be refused, but only for a filter value the
    index does not hold (type=x, lang=x): which values an index holds is its data, which no schema can say; or for a
    date range that ends before it begins (since=2022&until=1052-02-29), or countries none of which is in the region
    named (country=KE&region=West Africa), relations between two parameters that the schema does not express either."""
    if case.meta.generation.mode.is_positive and response.status_code == 400:
        assert response.json()["error"]["code"] in ("unknown_filter", "backwards_dates", "countries_outside_region"), \
            response.text
        return None
    return positive_data_acceptance(ctx, response, case)


def negative_data_rejection_on_the_wire(ctx, response, case):
    """negative_data_rejection, judged on the query as the server reads it.

    Two mutations can each vanish on the wire, which schemathesis' own guards see only one at a time:
    `until={}` goes out as `until=` (no bound), `type=0` as `type=0`, which is rightly the list ["0"].
    """
    meta = case.meta
    if meta and meta.generation.mode.is_negative and _only_query_is_negative(meta) and _query_as_read(response, case):
        return None
    return negative_data_rejection(ctx, response, case)


def _only_query_is_negative(meta) -> bool:
    others = (ParameterLocation.PATH, ParameterLocation.HEADER, ParameterLocation.COOKIE, ParameterLocation.BODY)
    return meta.is_negative_at(ParameterLocation.QUERY) and not any(meta.is_negative_at(where) for where in others)


def _query_as_read(response, case) -> dict | None:
    """The query as FastAPI reads it (a list for an array, else the last value) when that is valid, else None."""
    sent = parse_qs(urlsplit(response.request.url).query, keep_blank_values=True)
    schemas = {p.name: p.definition["schema"] for p in case.operation.query}
    if not sent or set(sent) - set(schemas):
        return None
    read: dict = {}
    for name, texts in sent.items():
        kind = schemas[name].get("type")
        if kind == "array":
            read[name] = texts
        elif kind == "integer" and re.fullmatch(r"\s*[+-]?[0-9]+\s*", texts[-1]):
            read[name] = int(texts[-1])
        else:
            read[name] = texts[-1]
    valid = jsonschema_rs.validator_for({"type": "object", "properties": schemas}).is_valid(read)
    return read if valid else None


CONFORMANCE = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
               response_schema_conformance]
CHECKS = [*CONFORMANCE, positive_data_acceptance, negative_data_rejection_on_the_wire]
UPLOAD_CHECKS = [*CONFORMANCE, refused_only_for_its_names, negative_data_rejection_on_the_wire]
SEARCH_CHECKS = [*CONFORMANCE, refused_only_for_unknown_filters, negative_data_rejection_on_the_wire]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    settings = Settings(index_dir=tmp_path_factory.mktemp("fuzz") / "index", api_key=KEY, rate_limit=0)
    kb = KnowledgeBase(settings, embedder=WordHashEmbedder())
    report = kb.ingest([CORPUS / "press-releases"])
    assert report.added and not report.failed, report
    return create_app(settings, kb=kb)


def exercise(case, auth: dict[str, str], drawn: dict):
    """Send one generated request, with the drawn key, document id or files, and check the response."""
    kwargs, checks = {}, CHECKS
    if drawn.get("doc_id") is not None:
        case.path_parameters["doc_id"] = drawn["doc_id"]
    if case.operation.path == "/search":
        checks = SEARCH_CHECKS
    if case.operation.method.upper() == "POST":
        checks = UPLOAD_CHECKS
        if drawn.get("files") is not None:  # our files replace the generated body: only conformance applies
            kwargs["files"] = [("files", (name, content)) for name, content in drawn["files"]]
            checks = CONFORMANCE
    response = case.call(headers=auth, **kwargs)
    case.validate_response(response, checks=checks, headers=auth)
    return response


def test_fuzz_every_operation_against_its_schema(app):
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    known = [doc.doc_id for doc in app.state.kb.reader().all_documents()]
    # Only query parameters and bodies can be made invalid (a path parameter is any string). Operations
    # without parameters have a handful of distinct requests: the budget goes to the others.
    runs = [(op, GenerationMode.POSITIVE) for op in operations]
    runs += [(op, GenerationMode.NEGATIVE) for op in operations if op.query or op.body]
    per_run = math.ceil(CASES / sum(1 for op, _ in runs if op.path_parameters or op.query or op.body))
    counts: Counter[str] = Counter()
    statuses: Counter[tuple[str, int]] = Counter()
    started = time.perf_counter()
    for operation, mode in runs:
        extra = {}
        if operation.path_parameters:
            extra["doc_id"] = st.one_of(st.sampled_from(known + ESCAPES), st.none())
        if operation.method.upper() == "POST":
            extra["files"] = st.one_of(UPLOADS, st.none())

        @seed(SEED)
        @settings(max_examples=per_run, database=None, deadline=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode), auth=AUTH, drawn=st.fixed_dictionaries(extra))
        def fuzz(case, auth, drawn):
            response = exercise(case, auth, drawn)
            counts[operation.label] += 1  # noqa: B023  (runs within this iteration: fuzz() is called below)
            statuses[operation.label, response.status_code] += 1  # noqa: B023

        try:
            fuzz()
        except Unsatisfiable:
            pytest.fail(f"{operation.label} ({mode.value}): schemathesis could not make a single request")
    took = time.perf_counter() - started
    print(f"\nfuzz: {sum(counts.values())} requests in {took:.0f} s (seed {SEED})")
    for label, n in sorted(counts.items()):
        print(f"  {label:32} {n:5}  {dict(sorted((s, c) for (op, s), c in statuses.items() if op == label))}")
    assert sum(counts.values()) >= CASES
    assert {status for (label, status) in statuses if label == "POST /documents"} >= {201, 401, 403, 415}
    assert {status for (label, status) in statuses if label == "DELETE /documents/{doc_id}"} >= {204, 404}
