"""End to end on the sample corpus with the real model: questions in other words find the right document."""

from __future__ import annotations

import re

import pytest

from kb import KnowledgeBase, Settings
from kb.search import CONFIDENCE_THRESHOLD
from tests.conftest import CORPUS, load_questions

pytestmark = pytest.mark.slow

# Questions written in other words than their documents (paraphrases), with the one right answer.
PARAPHRASES = [q for q in load_questions() if q["kind"] == "paraphrase"]


def _answer(question: dict) -> str:
    return max(question["relevant"].items(), key=lambda kv: kv[1])[0]


def test_the_question_set_is_big_enough_to_mean_something():
    assert len(PARAPHRASES) >= 8
    assert len({_answer(q) for q in PARAPHRASES}) >= 8, "paraphrases cover at least 8 different documents"


def test_every_corpus_file_is_ingested_with_type_title_and_date(corpus_kb):
    info = corpus_kb.info()
    files = [p for p in CORPUS.rglob("*") if p.suffix in {".pdf", ".html", ".md", ".txt"}]
    assert info.documents == len(files) >= 24
    assert set(info.types) == {"press_release", "tool_report", "skills_guide"}
    for doc in corpus_kb.reader().all_documents():
        assert doc.title and not doc.title.lower().endswith((".pdf", ".html")), doc
        assert doc.date, f"{doc.doc_id} has no date"


def test_paraphrased_questions_rank_their_document_first(corpus_kb):
    misses = []
    for q in PARAPHRASES:
        hits = corpus_kb.search(q["query"], k=5).hits
        if not hits or hits[0].doc_id != _answer(q):
            misses.append((q["id"], q["query"], hits[0].doc_id if hits else None))
    # A floor, not perfection: held at what the hybrid ranker reaches now minus a margin.
    assert len(misses) <= len(PARAPHRASES) // 5, misses


def test_the_readme_question_finds_the_inclusive_apprenticeships_guide(corpus_kb):
    result = corpus_kb.search("how can apprenticeships be made more inclusive?", k=5)
    assert result.confident
    assert result.hits[0].doc_id == "skills-guides/inclusive-apprenticeships-persons-with-disabilities.md"
    assert len({h.doc_id for h in result.hits}) == len(result.hits), "one hit per document"


def test_pdf_answers_cite_the_page_they_are_on(corpus_kb):
    paged = [q for q in load_questions() if q.get("page") and q["kind"] != "keyword"]
    assert len(paged) >= 6
    right = 0
    for q in paged:
        hit = corpus_kb.search(q["query"], k=3).hits[0]
        if hit.doc_id == _answer(q) and q["page"] in {p.page for p in hit.passages}:
            right += 1
    assert right >= 0.7 * len(paged), f"{right}/{len(paged)} cited the right page"


def test_page_labels_from_the_pdf_are_reported(corpus_kb):
    chunks = corpus_kb.reader().chunks_of("tool-reports/recognition-of-prior-learning-rpl-toolkit.pdf")
    by_page = {c.page: c.page_label for c in chunks}
    assert by_page[1] == "i" and by_page[3] == "1" and by_page[6] == "4"
    assert all(c.page is not None for c in chunks)


def test_markdown_chunks_carry_their_heading_path(corpus_kb):
    chunks = corpus_kb.reader().chunks_of("skills-guides/inclusive-apprenticeships-persons-with-disabilities.md")
    assert all(c.heading_path for c in chunks)
    assert any(len(c.heading_path) >= 2 for c in chunks), "nested headings give nested paths"


def test_no_navigation_or_script_text_in_any_chunk(corpus_kb):
    clutter = re.compile(r"cookie|Share this|All rights reserved|gtag\(|function\s*\(|window\.|Privacy (policy|notice)|Skip to", re.I)
    for chunk in corpus_kb.reader().all_chunks():
        assert not clutter.search(chunk.text), chunk.text[:200]


def test_every_chunk_fits_the_model(corpus_kb, embedder):
    counts = [chunk.n_tokens for chunk in corpus_kb.reader().all_chunks()]
    assert counts and max(counts) <= embedder.max_seq_length


def test_snippets_highlight_the_query_words(corpus_kb):
    hit = corpus_kb.search("recognition of prior learning assessment portfolio", k=3).hits[0]
    marked = [hit.snippet[s:e].lower() for s, e in hit.highlights]
    assert marked and all(m.startswith(("recogn", "prior", "learn", "assess", "portfolio")) for m in marked)


def test_a_hit_shows_passages_that_say_something_not_its_contents_page(corpus_kb):
    # The RPL toolkit's contents page is a chunk of one word, "Contents", carried by the title in both retrievers.
    hit = corpus_kb.search("recognition of prior learning", k=3).hits[0]
    assert hit.doc_id == "tool-reports/recognition-of-prior-learning-rpl-toolkit.pdf"
    assert hit.passages and all(len(p.snippet.split()) >= 8 for p in hit.passages), [p.snippet for p in hit.passages]


def test_no_answer_questions_are_flagged_more_often_than_answerable_ones(corpus_kb):
    questions = load_questions()
    unanswerable = [q for q in questions if not q["relevant"]]
    answerable = [q for q in questions if q["relevant"]]
    flagged_no = sum(not corpus_kb.search(q["query"]).confident for q in unanswerable)
    flagged_yes = sum(not corpus_kb.search(q["query"]).confident for q in answerable)
    assert 0 < CONFIDENCE_THRESHOLD < 1
    assert flagged_no / len(unanswerable) > flagged_yes / len(answerable)


def test_editing_and_deleting_files_then_reingesting(corpus_copy, tmp_path, embedder):
    kb = KnowledgeBase(Settings(index_dir=tmp_path / "index"), embedder=embedder)
    first = kb.ingest([corpus_copy])
    assert first.counts()["added"] >= 24 and not first.failed
    again = kb.ingest([corpus_copy])
    assert again.chunks_embedded == 0 and not again.changed

    note = corpus_copy / "press-releases" / "2024-05-social-dialogue-tvet-sector-skills-councils.txt"
    note.write_text(note.read_text(encoding="utf-8") + "\n\nBeekeeping cooperatives in the highlands will also train young apiarists.\n", encoding="utf-8")
    (corpus_copy / "skills-guides" / "core-skills-for-employability.html").unlink()
    report = kb.ingest([corpus_copy])
    assert report.updated == ("press-releases/2024-05-social-dialogue-tvet-sector-skills-councils.txt",)
    assert report.removed == ("skills-guides/core-skills-for-employability.html",)
    assert 0 < report.chunks_embedded < first.chunks_embedded
    top = kb.search("training young apiarists in honey cooperatives", k=1).hits[0]
    assert top.doc_id.endswith("sector-skills-councils.txt")
    assert all(h.doc_id != "skills-guides/core-skills-for-employability.html" for h in kb.search("soft skills teamwork communication", k=10).hits)
