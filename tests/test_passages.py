"""Which passages a hit shows: never its title page, contents or imprint when it has a better one, never the
same text twice. Hand-made chunks (texts as real PDFs extract them), then the sample corpus with the real model."""

from __future__ import annotations

import re

import pytest

from kb.records import Chunk
from kb.search import grouping
from kb.search.frontmatter import is_front_matter
from kb.search.grouping import PASSAGE_POOL, DocCandidate
from kb.search.snippets import query_terms, stem

BODY = ("Recognition of prior learning assesses what a person already knows and can do against an agreed standard, "
        "however they learned it, and certifies them so that employers can trust the qualification.")
TITLE = ("Recognition of Prior Learning: A Toolkit for Assessment and Certification How to set up and run an RPL "
         "process International Labour Office Skills and Employability Branch Geneva, May 2022")
TOC = ("1. Introduction ........................ 1 2. What RPL is .................... 3 "
       "3. Who benefits ....................... 4 4. Assessment methods ............ 6")
IMPRINT = ("Copyright © International Labour Organization 2022 First published 2022 Publications of the International "
           "Labour Office enjoy copyright under Protocol 2 of the Universal Copyright Convention. ISBN 978-92-2-000000-0")
NOTICE = ("The designations employed in ILO publications, which are in conformity with United Nations practice, and the "
          "presentation of material therein do not imply the expression of any opinion whatsoever on the part of the "
          "International Labour Office concerning the legal status of any country.")
# The first page of a report that starts straight away (as the USDOL country reports do): a full chunk of prose.
FIRST_PAGE_PROSE = " ".join([BODY] * 5)


def _chunk(chunk_id: int, text: str, page: int | None = None, ordinal: int | None = None,
           heading_path: tuple[str, ...] = ()) -> Chunk:
    return Chunk(doc_id="doc", ordinal=chunk_id if ordinal is None else ordinal, text=text, n_tokens=len(text.split()),
                 page=page, chunk_id=chunk_id, heading_path=heading_path)


# -- front matter --------------------------------------------------------------------------------------

@pytest.mark.parametrize("chunk", [
    _chunk(0, TITLE, page=1),
    _chunk(1, TOC, page=3),
    _chunk(1, "Indice Prefazione....................................iii 1. Iniziativa del centenario", page=6),
    _chunk(4, "Contents 1. Introduction 1 2. What RPL is 3 3. Who benefits 4 4. Assessment", page=2),
    _chunk(2, IMPRINT, page=2),
    _chunk(3, NOTICE, page=2),
    _chunk(2, "Spotlight on the Global Education Thematic Fund 2024", page=2),  # an inner title page
    _chunk(3, "The authors thank the country teams for their comments on earlier drafts.", page=4,
           heading_path=("Acknowledgements",)),
    _chunk(1, "Abbreviations ILO International Labour Organization RPL recognition of prior learning TVET technical", ordinal=1),
], ids=["title page", "dotted contents", "italian contents", "contents heading", "imprint", "UN notice",
        "inner title", "acknowledgements", "abbreviations"])
def test_front_matter_is_recognised(chunk):
    assert is_front_matter(chunk)


@pytest.mark.parametrize("chunk", [
    _chunk(0, FIRST_PAGE_PROSE, page=1),
    _chunk(5, BODY, page=3),
    _chunk(0, "Tracer studies of TVET graduates: a practical tool. " + BODY, ordinal=0),  # a text file's lead
    _chunk(3, "| Contents of the Bulk Download repository | Directory | Contents | All ILOSTAT tables by indicator |"),
    _chunk(2, "Índice de precios al consumidor: como se mide la inflación en los países de la región.", page=2),
    _chunk(9, "Introduction " + BODY, page=4, heading_path=("1. Introduction",)),
    _chunk(40, "Copyright matters less than access: " + BODY, page=30),
], ids=["first page of prose", "body", "unpaged lead", "a table about contents", "spanish price index",
        "introduction", "copyright deep inside"])
def test_body_text_is_not_front_matter(chunk):
    assert not is_front_matter(chunk)


# -- passage choice ------------------------------------------------------------------------------------

def test_a_title_page_gives_way_to_the_documents_body():
    chunks = {0: _chunk(0, TITLE, page=1), 1: _chunk(1, TOC, page=2), 5: _chunk(5, BODY, page=3)}
    ranked = [(0, 0.76), (1, 0.7), (5, 0.69)]
    assert grouping.choose_passages(ranked, chunks) == [(5, 0.69)]
    candidate = DocCandidate("doc", 0.76, tuple(ranked))
    assert [p.chunk_id for p in grouping.hit_passages(candidate, chunks, set())] == [5]  # not a title page second


def test_front_matter_is_shown_when_the_query_found_nothing_else():
    chunks = {0: _chunk(0, TITLE, page=1), 1: _chunk(1, "Contents", page=2)}
    assert grouping.choose_passages([(1, 0.9), (0, 0.8)], chunks) == [(0, 0.8)]


def test_the_further_pool_is_read_only_for_hits_with_nothing_to_show():
    # Hit a: its pool is front matter only, its body chunks rank lower. Hit b: its pool has a body chunk.
    a = DocCandidate("a", 0.9, tuple((i, 1.0 - i / 100) for i in range(PASSAGE_POOL + 3)))
    b = DocCandidate("b", 0.8, tuple((100 + i, 0.8 - i / 100) for i in range(PASSAGE_POOL + 3)))
    loaded = {i: _chunk(i, TITLE if i == 0 else TOC, page=1 if i == 0 else 2) for i in range(PASSAGE_POOL)}
    loaded |= {100 + i: _chunk(100 + i, BODY, page=3) for i in range(PASSAGE_POOL)}
    further = grouping.further_pool([a, b], loaded)
    assert further == [c for c, _ in a.chunks[PASSAGE_POOL:]]
    loaded |= {c: _chunk(c, BODY, page=4) for c in further}
    assert [c for c, _ in grouping.choose_passages(a.chunks, loaded)] == further[:2]


def test_a_hit_with_a_body_passage_does_not_look_beyond_its_pool():
    ranked = [(i, 1.0 - i / 100) for i in range(PASSAGE_POOL + 2)]
    chunks = {i: _chunk(i, BODY if i in (2, PASSAGE_POOL, PASSAGE_POOL + 1) else TOC, page=3) for i, _ in ranked}
    assert grouping.choose_passages(ranked, chunks) == [ranked[2]]


def test_two_overlapping_chunk_windows_show_one_passage():
    # Neighbouring chunks share their overlap: the end of one is the start of the next.
    first = ("The Recommendation protects apprentices' pay and working time. Several employers' delegates wanted "
             "more flexibility, while workers' delegates insisted that apprentices are learners with rights, "
             "not a source of cheap labour.")
    second = ("that apprentices are learners with rights, not a source of cheap labour. The balance struck between "
              "these positions was widely described in the plenary as the product of constructive negotiation.")
    third = "The Recommendation also asks for social protection of apprentices, including against accidents at work."
    chunks = {35: _chunk(35, first), 34: _chunk(34, second), 36: _chunk(36, third)}
    candidate = DocCandidate("doc", 0.6, ((34, 0.60), (35, 0.47), (36, 0.40)))
    stems = {stem(t) for t in query_terms("forced labour")}
    passages = grouping.hit_passages(candidate, chunks, stems)
    assert [p.chunk_id for p in passages] == [34, 36]


def test_a_snippets_words_are_its_lowercased_word_runs_ascii_or_not():
    import random

    rng = random.Random(3)
    for _ in range(3000):
        snippet = "".join(rng.choice("aB9_ -.,'’\n\t\x1fé…İ") for _ in range(rng.randint(0, 40)))
        assert grouping._words(snippet) == re.findall(r"\w+", snippet.lower()), snippet


def test_the_same_text_twice_is_one_passage_and_different_texts_are_two():
    assert grouping.same_passage("…not a source of cheap labour.", "not a source of cheap labour. The balance struck")
    assert grouping.same_passage(BODY, "…" + BODY[20:] + "…")
    assert not grouping.same_passage(BODY, "Employers host apprentices and pay them while they train in the workshop.")
    assert not grouping.same_passage("cheap labour", "forced labour")


# -- passages that hold the question's words ------------------------------------------------------------------

# A bilingual treaty text: its short Dutch chunks score on the title every chunk is embedded and indexed with.
SIGNED = "De Voorzitter van de Conferentie, (w.g. HUGO FERNANDEZ FAINGOLD De Directeur-Generaal van het Internationale Arbeidsbureau"
RATIFIED = "De officiële bekrachtigingen van dit Verdrag worden medegedeeld aan de Directeur-Generaal van het Internationaal Arbeidsbureau."
ARTICLE = ("Each Member which ratifies this Convention shall specify, in a declaration appended to its ratification, a "
           "minimum age for admission to employment or work within its territory.")
PREAMBLE = "Having decided upon the adoption of certain proposals with regard to the age for admission to employment, adopts"


def _weights(question: str) -> dict[str, float]:
    return {stem(t): 1.0 for t in query_terms(question)}


def test_a_passage_that_holds_the_questions_words_goes_before_one_that_scores_on_the_title_alone():
    chunks = {1: _chunk(1, SIGNED), 2: _chunk(2, RATIFIED), 3: _chunk(3, ARTICLE), 4: _chunk(4, PREAMBLE)}
    candidate = DocCandidate("doc", 0.9, ((1, 0.98), (2, 0.93), (3, 0.83), (4, 0.80)))
    question = "minimum age for admission to employment"
    shown = grouping.hit_passages(candidate, chunks, {stem(t) for t in query_terms(question)}, weights=_weights(question))
    assert [p.chunk_id for p in shown] == [3, 4]  # and no Dutch signature block beside them
    # Without the question's words (a question by meaning alone) the order is the scores'.
    assert [p.chunk_id for p in grouping.hit_passages(candidate, chunks, set())] == [1, 2]


def test_a_passage_that_holds_none_of_the_words_is_shown_when_no_passage_holds_most_of_them():
    chunks = {1: _chunk(1, SIGNED), 2: _chunk(2, BODY)}
    candidate = DocCandidate("doc", 0.9, ((1, 0.98), (2, 0.90)))
    shown = grouping.hit_passages(candidate, chunks, set(), weights=_weights("employers zebra quokka walrus"))
    assert [p.chunk_id for p in shown] == [1, 2]  # "employers" is a quarter of the words: the scores decide


def test_a_hit_whose_best_chunks_hold_none_of_the_words_looks_further():
    dutch = [SIGNED, RATIFIED, SIGNED.replace("HUGO", "JAN"), RATIFIED.replace("officiële", "formele"),
             SIGNED.replace("Voorzitter", "Secretaris"), RATIFIED.replace("Verdrag", "verdrag")]
    ranked = tuple((i, 0.98 - i / 100) for i in range(PASSAGE_POOL)) + ((PASSAGE_POOL, 0.83),)
    candidate = DocCandidate("doc", 0.9, ranked)
    chunks = {i: _chunk(i, text) for i, text in enumerate(dutch)}
    wanted = frozenset(_weights("minimum age for admission to employment"))
    assert grouping.further_pool([candidate], chunks, wanted) == [PASSAGE_POOL]
    assert grouping.further_pool([candidate], chunks) == []  # without the words: its pool has telling chunks
    chunks[PASSAGE_POOL] = _chunk(PASSAGE_POOL, ARTICLE)
    shown = grouping.hit_passages(candidate, chunks, set(wanted), weights=_weights("minimum age for admission to employment"))
    assert shown[0].chunk_id == PASSAGE_POOL


# -- on the sample corpus ------------------------------------------------------------------------------

@pytest.mark.slow
def test_the_rpl_toolkits_passages_are_its_text_not_its_title_page(corpus_kb):
    result = corpus_kb.search("recognition of prior learning toolkit", k=5)
    hit = result.hits[0]
    assert hit.doc_id == "tool-reports/recognition-of-prior-learning-rpl-toolkit.pdf"
    shown = corpus_kb.reader().chunks([p.chunk_id for p in hit.passages])
    assert hit.passages and not any(is_front_matter(c) for c in shown.values())
    assert all(p.page and p.page >= 3 for p in hit.passages)  # page 1 is the title page, page 2 the contents


@pytest.mark.slow
def test_the_rpl_toolkits_first_passage_says_what_rpl_is(corpus_kb):
    """Its chunk "What RPL is not" scores higher (the title is in every chunk's embedding and keyword row), but
    the passage that holds the question's words, the toolkit's definition, is shown first."""
    hit = corpus_kb.search("recognition of prior learning", k=3).hits[0]
    assert hit.doc_id == "tool-reports/recognition-of-prior-learning-rpl-toolkit.pdf"
    first = hit.passages[0]
    assert "Recognition of prior learning (RPL) is a process" in first.snippet
    assert {"recognition", "prior", "learning"} <= {first.snippet[s:e].lower() for s, e in first.highlights}


@pytest.mark.slow
@pytest.mark.parametrize("query", ["forced labour", "recognition of prior learning toolkit", "apprentices' pay",
                                   "COVID-19 pandemic", "skills partnership on migration", "Lebanon"])
def test_no_hit_shows_a_passage_twice(corpus_kb, query):
    for mode in ("hybrid", "keyword", "dense"):
        for hit in corpus_kb.search(query, k=10, mode=mode).hits:
            snippets = [p.snippet for p in hit.passages]
            for i, a in enumerate(snippets):
                assert not any(grouping.same_passage(a, b) for b in snippets[i + 1:]), (mode, hit.doc_id, snippets)


@pytest.mark.slow
def test_no_title_page_is_a_passage_when_its_document_has_text_that_matches(corpus_kb):
    reader = corpus_kb.reader()
    for query in ["recognition of prior learning toolkit", "skills needs establishment survey guide",
                  "training of trainers for TVET instructors", "gender-responsive TVET guide", "TREE rural"]:
        for hit in corpus_kb.search(query, k=5).hits:
            shown = reader.chunks([p.chunk_id for p in hit.passages])
            assert not any(is_front_matter(c) for c in shown.values()), (query, hit.doc_id)


@pytest.mark.slow
def test_skill_up_is_not_highlighted_for_skill(corpus_kb):
    hits = corpus_kb.search("SKILL-UP programme results in Lebanon skill", k=3, mode="keyword").hits
    norway = next(h for h in hits if h.doc_id == "press-releases/2020-12-ilo-norway-partnership-launches-gpsl3.html")
    assert any("SKILL-UP" in p.snippet for p in norway.passages)
    for passage in norway.passages:
        for s, e in passage.highlights:
            word = passage.snippet[s:e]
            assert passage.snippet[e:e + 1] != "-" and passage.snippet[max(0, s - 1):s] != "-", word


@pytest.mark.slow
def test_highlights_mark_the_questions_words_not_words_porter_gives_the_same_stem(corpus_kb):
    """Meaning search finds passages about people's protection for "personal protective equipment"; Porter stems
    "persons" and "protection" like the question's words, and they were marked (dense mode showed 9 such marks)."""
    terms = ("personal", "protective", "equipment")
    shown = [(p.snippet, p.highlights) for h in corpus_kb.search(" ".join(terms), k=10, mode="dense").hits
             if h.language == "en" for p in h.passages]
    assert any(re.search(r"(?i)\b(persons?|protect(ion|ed)?)\b", snippet) for snippet, _ in shown)
    for snippet, marks in shown:
        for s, e in marks:
            assert snippet[s:e].lower() in terms, (snippet[s:e], snippet)
