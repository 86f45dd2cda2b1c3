"""Where a citation opens: the link rule (kb/citations.py) and the pages it opens (GET /documents/{id}/view).

The browser half (the page really scrolls to the passage) is in tests/test_browser.py; here every passage of the
sample corpus is checked against its page: the words its link quotes are in one block of that page, as a
browser needs them to be, and its heading's anchor is an id there.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

import lxml.html
import pytest
from fastapi.testclient import TestClient

from kb import KnowledgeBase, Settings
from kb.api import create_app
from kb.citations import cite_url, heading_anchor, text_fragment
from tests.conftest import CORPUS

BLOCKS = {"p", "li", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "dd", "dt", "div", "section",
          "article", "main", "header", "footer", "figcaption", "caption", "title"}


def test_heading_anchors_are_the_words_of_the_heading():
    assert heading_anchor("4. Assessment methods") == "4-assessment-methods"
    assert heading_anchor("Step 1: Study the system") == "step-1-study-the-system"
    assert heading_anchor("Formation – l’apprentissage rénové") == "formation-l-apprentissage-rénové"
    assert heading_anchor("***") == "section"


def test_a_fragment_quotes_the_end_of_a_whole_sentence_of_the_snippet():
    snippet = "…course, a series of short workshops. Programmes that include follow-up in the workplace produce more…"
    assert unquote(text_fragment(snippet)) == "course, a series of short workshops"  # the six words before the full stop
    # A list marker or a table cell starts another block of the page: the words never reach across one.
    listed = "- Moving lectures online unchanged, as long videos or slide files. - Pretending practical skills…"
    assert unquote(text_fragment(listed)) == "as long videos or slide files"
    assert text_fragment("| Step | Who | What |") is None
    # No sentence the snippet shows up to its end: nothing is safe to quote.
    assert text_fragment("…periods of online study alternate with intensive practical blocks at the…") is None
    # A text directive's own syntax is escaped inside the words.
    assert text_fragment("Two sub-regions, partners & donors.") == "Two%20sub%2Dregions%2C%20partners%20%26%20donors"


def test_a_pdf_opens_at_its_page_and_anything_else_at_the_passage():
    assert cite_url("tool-reports/rpl toolkit.pdf", 6, ("4. Assessment",), "Any text.") == \
        "/documents/tool-reports/rpl%20toolkit.pdf/file#page=6"
    assert cite_url("guides/a.md", None, ("Plan", "Step 1: Study"), "Find out how it works. More…") == \
        "/documents/guides/a.md/view#step-1-study:~:text=Find%20out%20how%20it%20works"
    assert cite_url("notes.txt", None, (), "no whole sentence…") == "/documents/notes.txt/view"


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """corpus/ indexed with the word-hash model (the chunks, not their meaning, matter here), and the API over it."""
    from tests.conftest import WordHashEmbedder

    root = tmp_path_factory.mktemp("citations")
    extra = root / "extra"
    extra.mkdir()
    (extra / "hostile.md").write_text(
        "---\ntitle: Hostile notes\ntype: report\n---\n\n# Hostile notes\n\n<script>window.__x=1</script> Bees make honey.\n\n"
        "## Hives\n\nThe first hive is shared.\n\n## Hives\n\nThe second hive is rented.\n", encoding="utf-8")
    (extra / "plain.txt").write_text("Plain notes\n\nA <b>bold</b> claim & a line\nthat wraps.\n\nThe end.\n", encoding="utf-8")
    settings = Settings(index_dir=root / "index")
    kb = KnowledgeBase(settings, embedder=WordHashEmbedder())
    report = kb.ingest([CORPUS, extra])
    assert not report.failed, report.failed
    return kb, TestClient(create_app(settings, kb=kb))


def _blocks(page: bytes) -> tuple[list[str], set[str]]:
    """The text of each innermost block of a page, whitespace collapsed, and the page's ids."""
    tree = lxml.html.fromstring(page)
    blocks = [el for el in tree.iter() if isinstance(el.tag, str) and el.tag in BLOCKS]
    leaves = [el for el in blocks if not any(isinstance(d.tag, str) and d.tag in BLOCKS for d in el.iterdescendants())]
    texts = [re.sub(r"\s+", " ", el.text_content()).strip().casefold() for el in leaves]
    return texts, {el.get("id") for el in tree.iter() if isinstance(el.tag, str) and el.get("id")}


def test_every_passage_link_quotes_words_of_one_block_of_its_page(sample):
    kb, client = sample
    reader = kb.reader()
    quoted = total = 0
    for doc in reader.all_documents():
        if doc.format == "pdf":
            continue
        response = client.get(cite_url(doc.doc_id, None, (), "").split("#")[0])
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/html"), doc.doc_id
        texts, ids = _blocks(response.content)
        for chunk in reader.chunks_of(doc.doc_id):
            total += 1
            url = cite_url(doc.doc_id, chunk.page, chunk.heading_path, chunk.text)
            anchor, _, words = url.partition("#")[2].partition(":~:text=")
            if doc.format == "markdown" and chunk.heading_path:
                assert unquote(anchor) in ids, (doc.doc_id, chunk.heading_path, sorted(ids))
            if words:
                quoted += 1
                phrase = unquote(words).casefold()
                assert any(phrase in text for text in texts), (doc.doc_id, phrase)
    print(f"{quoted} of {total} passages quoted")
    assert total > 100 and quoted >= 0.9 * total, (quoted, total)


def test_markdown_is_served_rendered_without_its_front_matter_and_runs_nothing(sample):
    _, client = sample
    page = client.get("/documents/hostile.md/view")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "sandbox" in page.headers["content-security-policy"] and page.headers["x-content-type-options"] == "nosniff"
    assert "title: Hostile" not in page.text and "---" not in page.text
    assert "<script>" not in page.text and "&lt;script&gt;" in page.text
    assert '<h1 id="hostile-notes">' in page.text
    assert '<h2 id="hives">' in page.text and '<h2 id="hives-2">' in page.text  # a repeated heading keeps its own id
    assert "<title>Hostile notes</title>" in page.text
    # /file still sends the file as it was ingested.
    original = client.get("/documents/hostile.md/file")
    assert original.headers["content-type"].startswith("text/markdown") and original.content.startswith(b"---\ntitle:")


def test_text_is_served_as_escaped_paragraphs_and_other_files_as_they_are(sample):
    _, client = sample
    page = client.get("/documents/plain.txt/view")
    assert "<p>A &lt;b&gt;bold&lt;/b&gt; claim &amp; a line\nthat wraps.</p>" in page.text
    assert client.get("/documents/plain.txt/file").content.startswith(b"Plain notes\n\nA <b>bold</b>")
    pdf = client.get("/documents/tool-reports/recognition-of-prior-learning-rpl-toolkit.pdf/view")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    html_file = "/documents/press-releases/2023-06-quality-apprenticeships-recommendation-adopted.html"
    assert client.get(html_file + "/view").content == client.get(html_file + "/file").content


def test_hits_carry_their_citation_link(sample):
    kb, client = sample
    hits = client.get("/search", params={"q": "second hive rented", "mode": "keyword", "k": 3}).json()["hits"]
    hive = next(h for h in hits if h["doc_id"] == "hostile.md")
    assert hive["cite_url"] == cite_url("hostile.md", None, hive["heading_path"], hive["snippet"])
    assert hive["cite_url"].startswith("/documents/hostile.md/view#hives")
    pdf = client.get("/search", params={"q": "portfolio observation interview assessment", "mode": "keyword"}).json()["hits"]
    rpl = next(h for h in pdf if h["doc_id"].endswith(".pdf"))
    assert rpl["cite_url"] == f"/documents/{rpl['doc_id']}/file#page={rpl['page']}"
