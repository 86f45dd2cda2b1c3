"""Word documents (.docx): text in order with its headings, tables and lists, titled and dated by their properties."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kb import KnowledgeBase, Settings
from kb.errors import EmptyDocument, LoadError
from kb.ingest.loaders import loader_for, media_type
from kb.ingest.word import load_docx
from kb.records import Filters


def make_docx(path: Path, *, title: str | None = "Skills needs surveys: a guide", author: str = "ILO Skills Branch",
              styled_title: str | None = None, created: dt.datetime | None = dt.datetime(2022, 3, 14)) -> Path:
    import docx

    document = docx.Document()
    core = document.core_properties
    core.title, core.author = title or "", author
    if created is not None:
        core.created = created
    if styled_title:
        document.add_paragraph(styled_title, style="Title")
    document.add_heading("1. Why survey employers", level=1)
    document.add_paragraph("Employers know which skills they cannot find. An establishment survey asks them about "
                           "hard-to-fill vacancies and the skills gaps of their current workers.")
    document.add_paragraph("#1 priority: a sample that represents every sector.")
    document.add_heading("2. Planning the survey", level=1)
    document.add_heading("2.1 Sampling", level=2)
    document.add_paragraph("Draw the sample from the business register.", style="List Bullet")
    document.add_paragraph("Stratify it by sector and size of firm.", style="List Bullet")
    table = document.add_table(rows=2, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Firm size", "Sample share"
    table.rows[1].cells[0].text, table.rows[1].cells[1].text = "Micro (1-9 workers)", "40 per cent"
    document.save(str(path))
    return path


def test_a_word_document_keeps_its_headings_lists_and_tables_in_order(tmp_path):
    loaded = load_docx(make_docx(tmp_path / "survey.docx"))
    assert loaded.title == "Skills needs surveys: a guide" and loaded.format == "docx"
    assert loaded.metadata["author"] == "ILO Skills Branch" and loaded.metadata["date"] == "2022-03-14"
    paths = [s.heading_path for s in loaded.sections]
    assert paths == [("1. Why survey employers",), ("2. Planning the survey", "2.1 Sampling")]
    first, sampling = loaded.sections[0].text, loaded.sections[1].text
    assert "hard-to-fill vacancies" in first and "#1 priority: a sample" in first  # text, not a heading
    assert sampling.index("business register") < sampling.index("Stratify") < sampling.index("Micro (1-9 workers) | 40 per cent")


def test_a_word_document_without_a_title_property_is_titled_by_its_title_paragraph(tmp_path):
    loaded = load_docx(make_docx(tmp_path / "d.docx", title=None, styled_title="Employer surveys in practice"))
    assert loaded.title == "Employer surveys in practice"
    assert all("Employer surveys in practice" not in s.heading_path for s in loaded.sections)


def test_an_empty_or_broken_word_document_fails_saying_why(tmp_path):
    import docx

    docx.Document().save(str(tmp_path / "empty.docx"))
    with pytest.raises(EmptyDocument, match="holds no text"):
        load_docx(tmp_path / "empty.docx")
    (tmp_path / "broken.docx").write_bytes(b"PK\x03\x04 not a whole archive")
    with pytest.raises(LoadError):
        loader_for(tmp_path / "broken.docx")(tmp_path / "broken.docx")


def test_a_word_document_is_ingested_searched_and_served_even_under_another_name(tmp_path, fake_embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    make_docx(docs / "survey.docx")
    make_docx(docs / "saved-as.pdf", title="Employer surveys: a second guide")
    kb = KnowledgeBase(Settings(index_dir=tmp_path / "index"), embedder=fake_embedder)
    report = kb.ingest([docs])
    assert sorted(report.added) == ["saved-as.pdf", "survey.docx"] and not report.failed
    assert "named .pdf, but the file is a Word document" in " ".join(w for f in report.warnings for w in f.warnings)
    hit = kb.search("hard-to-fill vacancies business register", k=1, mode="keyword", filters=Filters()).hits[0]
    assert hit.doc_id in ("survey.docx", "saved-as.pdf") and hit.passages[0].heading_path
    assert media_type(docs / "saved-as.pdf") == media_type(docs / "survey.docx") != "application/octet-stream"


def test_a_word_documents_citation_opens_it_as_a_page_at_its_heading(tmp_path, fake_embedder):
    from fastapi.testclient import TestClient

    from kb.api import create_app

    docs = tmp_path / "docs"
    docs.mkdir()
    make_docx(docs / "survey.docx")
    kb = KnowledgeBase(Settings(index_dir=tmp_path / "index"), embedder=fake_embedder)
    kb.ingest([docs])
    with TestClient(create_app(kb.settings, kb=kb)) as client:
        hit = client.get("/search", params={"q": "business register sample", "mode": "keyword"}).json()["hits"][0]
        assert "/view#2-1-sampling" in hit["cite_url"]
        view = client.get(hit["cite_url"].split("#")[0])
    assert view.status_code == 200 and view.headers["content-type"].startswith("text/html")
    assert 'id="2-1-sampling"' in view.text and "Draw the sample from the business register." in view.text


def test_a_word_documents_footnotes_and_endnotes_are_read_at_its_end(tmp_path):
    """python-docx reads no footnotes: a report's sources and asides were lost."""
    import docx
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    path = make_docx(tmp_path / "noted.docx")
    document = docx.Document(str(path))
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    for name, kind in (("footnotes", "footnote"), ("endnotes", "endnote")):
        xml = (f'<w:{name} xmlns:w="{w}"><!-- a comment -->'
               f'<w:{kind} w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:{kind}>'
               f'<w:{kind} w:id="1"><w:p><w:r><w:t>Source: ILO {kind} survey, </w:t></w:r><w:r><w:t>2021.</w:t></w:r>'
               f'</w:p></w:{kind}></w:{name}>')
        part = Part(PackURI(f"/word/{name}.xml"),
                    f"application/vnd.openxmlformats-officedocument.wordprocessingml.{name}+xml", xml.encode(),
                    document.part.package)
        document.part.relate_to(part, getattr(RELATIONSHIP_TYPE, name.upper()))
    document.save(str(path))
    loaded = load_docx(path)
    notes = [s for s in loaded.sections if s.heading_path == ("Notes",)]
    assert [s.text for s in notes] == ["- Source: ILO footnote survey, 2021.\n- Source: ILO endnote survey, 2021."]
    assert loaded.sections[-1] is notes[-1]  # after the body
