"""Files as browsers save them: under another format's name (a PDF as "report.html", a page as "page.pdf" or ".txt"),
each read as what its bytes are, its report saying so, and a format kb does not read named in the failure; a saved
page's folder of images, scripts and frames left out."""

from __future__ import annotations

import zipfile

from kb import KnowledgeBase, Settings
from kb.ingest.loaders import media_type
from kb.records import Filters
from tests.pdfs import make_pdf

PAGE = """<!DOCTYPE html><html lang="en"><head><title>Apprenticeships for green jobs</title></head><body><main>
<h1>Apprenticeships for green jobs</h1>
<p>Solar technicians learn their trade in apprenticeships that pair a training centre with an installer, and most
of them find work within six months of finishing.</p>
<p>Employers' organizations and trade unions agree the occupational standards the apprentices are assessed against.</p>
</main></body></html>"""


def _kb(tmp_path, embedder):
    return KnowledgeBase(Settings(index_dir=tmp_path / "index"), embedder=embedder)


def test_a_pdf_saved_as_html_is_read_as_a_pdf_and_cited_by_its_pages(tmp_path, fake_embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    pdf = make_pdf(tmp_path / "made.pdf", ["Contents", "Beekeeping cooperatives train refugees to keep bees and sell honey."])
    (docs / "report.html").write_bytes(pdf.read_bytes())
    kb = _kb(tmp_path, fake_embedder)
    report = kb.ingest([docs])
    assert report.added == ("report.html",) and not report.failed
    assert [w.path.rsplit("/", 1)[-1] for w in report.warnings] == ["report.html"]
    assert "named .html, but the file is a PDF" in " ".join(report.warnings[0].warnings)
    hit = kb.search("beekeeping refugees honey", k=1, mode="keyword", filters=Filters()).hits[0]
    assert hit.passages[0].page == 2  # a PDF's pages, which the HTML loader would not have
    assert media_type(docs / "report.html") == "application/pdf"  # served as what it is, not as a page


def test_a_page_saved_as_pdf_or_text_is_read_as_a_page(tmp_path, fake_embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("page.pdf", "page.txt"):
        (docs / name).write_text(PAGE, encoding="utf-8")
    kb = _kb(tmp_path, fake_embedder)
    report = kb.ingest([docs])
    assert sorted(report.added) == ["page.pdf", "page.txt"] and not report.failed
    for name in report.added:
        document = kb.document(name)
        assert document.title == "Apprenticeships for green jobs"
        assert not any("<" in chunk.text for chunk in kb.reader().chunks(kb.reader().chunk_ids_of([name])).values())
    assert media_type(docs / "page.pdf") == "text/html; charset=utf-8"


def test_a_format_kb_does_not_read_is_named_in_its_failure(tmp_path, fake_embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    with zipfile.ZipFile(docs / "toolkit.pdf", "w") as archive:  # an Excel file is a ZIP archive
        archive.writestr("xl/workbook.xml", "<workbook/>")
    (docs / "notes.txt").write_bytes(b"{\\rtf1\\ansi Training of trainers}")
    (docs / "locked.docx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))  # Word encrypts into one
    (docs / "good.txt").write_text("Good document\n\nTraining for solar technicians in rural areas.", encoding="utf-8")
    report = _kb(tmp_path, fake_embedder).ingest([docs])
    assert report.added == ("good.txt",)
    reasons = {f.path.rsplit("/", 1)[-1]: (f.code, f.reason) for f in report.failed}
    assert reasons["toolkit.pdf"] == ("unsupported", "named .pdf, but the file is an Excel workbook; kb reads .docx, .htm, "
                                      ".html, .markdown, .md, .mht, .mhtml, .odt, .pdf, .text, .txt, .xhtml files")
    assert "an RTF document" in reasons["notes.txt"][1]
    assert "a password-protected one" in reasons["locked.docx"][1]
    assert media_type(docs / "toolkit.pdf") == "application/octet-stream"


def test_a_download_saved_without_a_known_suffix_is_read_by_its_bytes(tmp_path, fake_embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "GetFile.ashx").write_bytes(make_pdf(tmp_path / "made.pdf", ["Beekeeping cooperatives for refugees."]).read_bytes())
    (docs / "download").write_text(PAGE, encoding="utf-8")
    (docs / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a document")
    (docs / "slides.odp").write_bytes(b"PK\x03\x04 an archive")  # an OpenDocument presentation: kb does not read it
    report = _kb(tmp_path, fake_embedder).ingest([docs])
    assert sorted(report.added) == ["GetFile.ashx", "download"] and not report.failed
    assert sorted(s.path.rsplit("/", 1)[-1] for s in report.skipped) == ["photo.jpg", "slides.odp"]
    assert media_type(docs / "GetFile.ashx") == "application/pdf"


def test_a_saved_pages_resource_folder_is_not_searched_but_a_folder_so_named_alone_is(tmp_path, fake_embedder):
    docs = tmp_path / "docs"
    (docs / "Green jobs_files").mkdir(parents=True)
    (docs / "Green jobs.html").write_text(PAGE, encoding="utf-8")
    (docs / "Green jobs_files" / "ads.html").write_text("<html><body><p>Buy now! Limited offer.</p></body></html>")
    (docs / "project_files").mkdir()  # no page beside it: a folder of documents
    (docs / "project_files" / "notes.txt").write_text("Project notes\n\nTraining plan for solar technicians.")
    report = _kb(tmp_path, fake_embedder).ingest([docs])
    assert sorted(report.added) == ["Green jobs.html", "project_files/notes.txt"]
    assert [(s.path.rsplit("/", 2)[-2], s.code) for s in report.skipped] == [("Green jobs_files", "page_resources")]


def _mhtml(html: str, address: str = "https://www.ilo.org/resource/news/apprenticeships-green-jobs") -> bytes:
    """A page as Chrome's "Webpage, Single File" saves it: a MIME archive, the page quoted-printable, an image beside."""
    import quopri

    boundary = "----MultipartBoundary--Qx9f1----"
    page = quopri.encodestring(html.encode("utf-8")).decode("ascii")
    return (f"From: <Saved by Blink>\r\nSnapshot-Content-Location: {address}\r\nSubject: Apprenticeships\r\n"
            f'MIME-Version: 1.0\r\nContent-Type: multipart/related;\r\n\ttype="text/html";\r\n\tboundary="{boundary}"\r\n\r\n\r\n'
            f"--{boundary}\r\nContent-Type: text/html\r\nContent-ID: <frame-1@mhtml.blink>\r\n"
            f"Content-Transfer-Encoding: quoted-printable\r\nContent-Location: {address}\r\n\r\n{page}\r\n"
            f"--{boundary}\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n"
            f"Content-Location: https://www.ilo.org/logo.png\r\n\r\niVBORw0KGgo=\r\n--{boundary}--\r\n").encode("ascii")


def test_a_page_saved_as_one_file_is_read_with_its_address_and_viewed_unpacked(tmp_path, fake_embedder):
    from fastapi.testclient import TestClient

    from kb.api import create_app

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "Apprenticeships for green jobs.mhtml").write_bytes(_mhtml(PAGE.replace("installer,", "installer in Côte d’Ivoire,")))
    kb = _kb(tmp_path, fake_embedder)
    report = kb.ingest([docs])
    doc_id = "Apprenticeships for green jobs.mhtml"
    assert report.added == (doc_id,) and not report.failed
    document = kb.document(doc_id)
    assert document.title == "Apprenticeships for green jobs"
    assert document.metadata["url"] == ("https://www.ilo.org/resource/news/apprenticeships-green-jobs",)
    text = " ".join(c.text for c in kb.reader().chunks(kb.reader().chunk_ids_of([doc_id])).values())
    assert "installer in Côte d’Ivoire, and most" in text and "=3D" not in text and "iVBOR" not in text
    with TestClient(create_app(kb.settings, kb=kb)) as client:
        hit = client.get("/search", params={"q": "solar technicians apprenticeships", "mode": "keyword"}).json()["hits"][0]
        view = client.get(hit["cite_url"].split("#")[0])
    assert view.status_code == 200 and view.headers["content-type"].startswith("text/html")
    assert "Côte d’Ivoire" in view.text and "sandbox" in view.headers["content-security-policy"]
