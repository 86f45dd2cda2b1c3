"""Quoted phrases: every document found holds the phrase as written, its passages show it marked whole, and a phrase
no document holds finds nothing and says so."""

from __future__ import annotations

import json

from click.testing import CliRunner
from fastapi.testclient import TestClient

from kb.api import create_app
from kb.cli import main as cli
from kb.records import Filters
from kb.search import phrases


def test_quoted_phrases_are_read_in_straight_curly_and_french_quotes():
    assert phrases.quoted('"decent work" in “rural areas” and « emplois verts »') == (
        "decent work", "rural areas", "emplois verts")
    assert phrases.quoted('"decent work" and "decent work" again') == ("decent work",)  # each once
    assert phrases.quoted('an unclosed "quote') == () and phrases.quoted('empty "" and " " quotes') == ()
    assert phrases.quoted("the workers' rights and teachers' pay") == ()  # apostrophes are not quotes


def test_phrases_compare_words_case_and_accent_blind():
    assert phrases.words("Work-based LEARNING, à l'École") == ["work", "based", "learning", "a", "l", "ecole"]
    wanted = phrases.words("work based learning")
    assert phrases.holds(["A guide to work-based learning."], wanted)
    assert not phrases.holds(["learning that is work based"], wanted)
    assert not phrases.holds(["work", "based learning"], wanted)  # within one text, not across two
    text = "Work-based learning, then more work based learning."
    assert [text[s:e] for s, e in phrases.spans(text, wanted)] == ["Work-based learning", "work based learning"]


def _holds(kb, hit, phrase: str) -> bool:
    """Whether the hit's document holds the phrase in its title or in any of its chunks (read from the index)."""
    reader = kb.reader()
    chunks = reader.chunks(reader.chunk_ids_of([hit.doc_id])).values()
    texts = [hit.title, *(" ".join(c.heading_path) for c in chunks), *(c.text for c in chunks)]
    return phrases.holds(texts, phrases.words(phrase))


def test_every_hit_holds_the_phrase_and_its_passage_marks_it(corpus_kb):
    plain = corpus_kb.search("prior learning", k=10)
    quoted = corpus_kb.search('"prior learning"', k=10)
    assert quoted.hits and all(_holds(corpus_kb, h, "prior learning") for h in quoted.hits)
    assert not all(_holds(corpus_kb, h, "prior learning") for h in plain.hits)  # the quotes narrow the search
    holding = [d for d in corpus_kb.reader().all_documents() if _holds(corpus_kb, d, "prior learning")]
    assert quoted.total == len(holding) < plain.total  # the documents it ranks among
    first = quoted.hits[0].passages[0]
    assert "prior learning" in [first.snippet[s:e].lower() for s, e in first.highlights]  # marked whole
    filtered = corpus_kb.search('"prior learning"', k=10, filters=Filters(types=("press_release",)))
    assert {h.type for h in filtered.hits} <= {"press_release"}
    assert {h.doc_id for h in filtered.hits} <= {h.doc_id for h in quoted.hits}


def test_a_phrase_no_document_holds_finds_nothing_and_says_so(corpus_kb):
    result = corpus_kb.search('"learning prior"')  # both words are common, never in this order
    assert result.hits == () and not result.confident
    assert result.confidence_reason == "No match: no document holds “learning prior”."
    said = CliRunner().invoke(cli, ["search", "--index", str(corpus_kb.settings.index_dir), '"learning prior"'])
    assert "No match: no document holds “learning prior”." in said.output
    with TestClient(create_app(corpus_kb.settings, kb=corpus_kb)) as client:
        answer = client.get("/search", params={"q": '"learning prior"'}).json()
    assert answer["hits"] == [] and answer["confidence_reason"] == result.confidence_reason


def test_words_in_quotes_are_searched_as_typed_and_stop_words_alone_narrow_nothing(corpus_kb):
    result = corpus_kb.search('"aprenticeship" in kenia')
    assert result.corrections == {"kenia": "kenya"} and result.hits == ()  # no document has "aprenticeship"
    from kb.search.query import phrase_chunks

    assert phrase_chunks(corpus_kb.reader(), ["to be or not to be"], ["en"]) == (None, ())  # nothing to narrow by
    assert len(corpus_kb.search('"to be or not to be" apprenticeships', k=5).hits) == 5
    ranked = corpus_kb.rank('"learning prior"', k=3)  # batch ranking: quotes are text
    assert len(ranked) == 3 and json.dumps(ranked)


def test_a_search_that_finds_nothing_says_whether_a_phrase_the_filters_or_the_words_are_why(corpus_kb):
    def why(query: str, **where) -> str:
        result = corpus_kb.search(query, mode="keyword", filters=Filters(where={k: (v,) for k, v in where.items()}))
        assert result.hits == () and not result.confident
        return result.confidence_reason

    assert why("apprenticeships", country="JP") == "No match: no document passes the filters (country JP)."
    kenya = corpus_kb.search("apprenticeships", filters=Filters(where={"country": ("KE",)})).hits
    assert kenya and all(not _holds(corpus_kb, h, "prior learning") for h in kenya)
    assert why('"prior learning"', country="KE") == ("No match: no document that passes the filters (country KE) "
                                                     "holds “prior learning”.")
    assert why("zzyzx", country="KE") == ("No match: no document that passes the filters (country KE) holds a word "
                                          "of the question.")
    assert why("zzyzx") == "No match: no document holds a word of the question."
    year = corpus_kb.search("apprenticeships", filters=Filters(since="2031", until="2031"))  # what --year 2031 asks
    assert year.confidence_reason == "No match: no document passes the filters (year 2031)."
