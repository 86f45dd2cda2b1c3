"""OpenDocument text (.odt), as LibreOffice writes it: headings, paragraphs, lists and tables in order, metadata."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from kb import KnowledgeBase, Settings
from kb.errors import EmptyDocument, LoadError
from kb.ingest.loaders import loader_for, media_type
from kb.ingest.odt import load_odt
from kb.records import Filters

NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
      'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
      'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
      'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/"')
BODY = """<text:h text:outline-level="1">1. Why trace graduates</text:h>
<text:p>A tracer study asks graduates<text:s/>whether they found work<text:note><text:note-citation>1</text:note-citation>
<text:note-body><text:p>A footnote.</text:p></text:note-body></text:note> and how long it took.</text:p>
<text:p>#2 rule: ask every graduate, not a sample.</text:p>
<text:section><text:h text:outline-level="2">1.1 Contacting graduates</text:h>
<text:list><text:list-item><text:p>Collect phone numbers before graduation.</text:p></text:list-item>
<text:list-item><text:p>Ask for a relative's number too.</text:p></text:list-item></text:list>
<table:table><table:table-row><table:table-cell><text:p>Month</text:p></table:table-cell>
<table:table-cell><text:p>Response rate</text:p></table:table-cell></table:table-row>
<table:table-row><table:table-cell><text:p>6</text:p></table:table-cell>
<table:table-cell><text:p>70 per cent</text:p></table:table-cell></table:table-row></table:table></text:section>"""


def make_odt(path: Path, body: str = BODY, title: str = "Tracer studies: a practical tool") -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text", compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {NS}>'
                                        f"<office:body><office:text>{body}</office:text></office:body></office:document-content>")
        archive.writestr("meta.xml", f'<?xml version="1.0" encoding="UTF-8"?><office:document-meta {NS}><office:meta>'
                                     f"<dc:title>{title}</dc:title><meta:initial-creator>ILO Skills Branch</meta:initial-creator>"
                                     "<meta:creation-date>2023-05-02T10:11:12</meta:creation-date></office:meta>"
                                     "</office:document-meta>")
    return path


def test_an_opendocument_text_keeps_its_headings_lists_tables_and_metadata(tmp_path):
    loaded = load_odt(make_odt(tmp_path / "tracer.odt"))
    assert loaded.title == "Tracer studies: a practical tool" and loaded.format == "odt"
    assert loaded.metadata["author"] == "ILO Skills Branch" and loaded.metadata["date"] == "2023-05-02"
    assert [s.heading_path for s in loaded.sections] == [("1. Why trace graduates",),
                                                         ("1. Why trace graduates", "1.1 Contacting graduates"),
                                                         ("Notes",)]
    first, second = loaded.sections[0].text, loaded.sections[1].text
    assert "asks graduates whether they found work and how long it took." in first  # no footnote, spaces kept
    assert "A footnote" not in first and "#2 rule" in first
    assert loaded.sections[2].text == "- A footnote."  # the notes at the end
    assert second.index("phone numbers") < second.index("relative's number") < second.index("6 | 70 per cent")


def test_an_empty_or_broken_opendocument_text_fails_saying_why(tmp_path):
    with pytest.raises(EmptyDocument):
        load_odt(make_odt(tmp_path / "empty.odt", body=""))
    (tmp_path / "broken.odt").write_bytes(b"PK\x03\x04 not a whole archive")
    with pytest.raises(LoadError):
        loader_for(tmp_path / "broken.odt")(tmp_path / "broken.odt")


def test_an_opendocument_text_is_ingested_searched_viewed_and_told_under_another_name(tmp_path, fake_embedder):
    from fastapi.testclient import TestClient

    from kb.api import create_app

    docs = tmp_path / "docs"
    docs.mkdir()
    make_odt(docs / "tracer.odt")
    make_odt(docs / "tracer-copy.pdf", title="Tracer studies: a second copy")
    kb = KnowledgeBase(Settings(index_dir=tmp_path / "index"), embedder=fake_embedder)
    report = kb.ingest([docs])
    assert sorted(report.added) == ["tracer-copy.pdf", "tracer.odt"] and not report.failed
    assert media_type(docs / "tracer-copy.pdf") == "application/vnd.oasis.opendocument.text"
    assert kb.search("phone numbers before graduation", k=1, mode="keyword", filters=Filters()).hits
    with TestClient(create_app(kb.settings, kb=kb)) as client:
        hit = client.get("/search", params={"q": "phone numbers before graduation", "mode": "keyword"}).json()["hits"][0]
        view = client.get(hit["cite_url"].split("#")[0])
    assert view.status_code == 200 and 'id="1-1-contacting-graduates"' in view.text
