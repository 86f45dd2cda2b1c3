"""Every registered keyword engine behaves the same: found words, stemming, field weights, filters, deletes and
updates across snapshots, old snapshots still readable, an IDF scale that grows with rarity."""

from __future__ import annotations

import json

import numpy as np
import pytest

from kb import KnowledgeBase, Settings
from kb.errors import ConfigError, IndexMismatch, IndexNotFound
from kb.index import keyword
from kb.index.store import IndexReader, IndexWriter, open_reader, read_manifest
from kb.records import Chunk, Document
from tests.conftest import WordHashEmbedder

ENGINES = sorted(keyword.ENGINES)
MODEL = WordHashEmbedder(dimension=8).describe()


def _doc(doc_id: str, title: str) -> Document:
    return Document(doc_id=doc_id, title=title, type="report", date=None, language="en", source=doc_id, format="txt",
                    content_hash=doc_id + title)


def _write(index_dir, engine: str | None, add: dict[str, tuple[str, list[str]]] = {}, remove=()) -> None:  # noqa: B006
    """One snapshot: remove documents, then add {doc_id: (title, [chunk text, ...])}."""
    with IndexWriter(index_dir, MODEL, {"chunk_tokens": 200}, keyword_engine=engine) as writer:
        writer.remove_documents(remove)
        for doc_id, (title, texts) in add.items():
            chunks = [Chunk(doc_id=doc_id, ordinal=i, text=t, n_tokens=len(t.split())) for i, t in enumerate(texts)]
            writer.add_document(_doc(doc_id, title), "root", chunks, np.ones((len(chunks), 8), dtype="float32"))
        writer.commit()


def _found(reader: IndexReader, query: str, allowed: set[str] | None = None) -> list[str]:
    """The documents of the keyword hits for the words of `query`, best first."""
    hits = reader.keyword.search(query.split(), 10, allowed)
    docs = reader.chunk_documents(c for c, _ in hits)
    return [docs[c] for c, _ in hits]


CORPUS = {
    "fish": ("Fisheries training", ["Fishers learn to repair nets and engines on small boats."]),
    "bees": ("Beekeeping guide", ["Hives, honey and queen bees.", "A quality apprenticeship in beekeeping lasts two years."]),
    "solar": ("Solar technicians", ["Installing rooftop panels needs electricians with new skills."]),
    "cafe": ("Café work", ["Waiters and baristas, fisheries aside, serve coffee."]),
}


@pytest.fixture(params=ENGINES)
def index(request, tmp_path):
    """(index folder, engine name) with CORPUS written in one snapshot."""
    folder = tmp_path / "index"
    _write(folder, request.param, CORPUS)
    return folder, request.param


def test_a_word_in_one_chunk_finds_that_chunk(index):
    folder, engine = index
    assert read_manifest(folder).keyword == engine
    with open_reader(folder) as reader:
        hits = reader.keyword.search(["hives"], 10)
        assert len(hits) == 1 and reader.chunks([hits[0][0]])[hits[0][0]].text == "Hives, honey and queen bees."
        assert hits[0][1] > 0, "higher is better"
        assert type(hits[0][0]) is int and type(hits[0][1]) is float  # as search takes them (query.keyword_chunks)
        assert reader.keyword.chunk_ids() == set(reader.chunk_documents(reader.keyword.chunk_ids()))
        assert not reader.check_integrity()


def test_stemming_and_accents_match_other_forms(index):
    with open_reader(index[0]) as reader:
        assert _found(reader, "apprenticeships") == ["bees"]
        assert _found(reader, "installed") == ["solar"]
        assert _found(reader, "cafe") == ["cafe"], "diacritics are folded"


def test_title_outweighs_text(index):
    with open_reader(index[0]) as reader:
        # "fisheries" is fish's title and a word of cafe's text; chunks of the same length otherwise
        assert _found(reader, "fisheries") == ["fish", "cafe"]


def test_filters_keep_only_allowed_documents(index):
    with open_reader(index[0]) as reader:
        assert _found(reader, "fisheries", {"cafe"}) == ["cafe"]
        assert _found(reader, "fisheries", {"bees"}) == []
        assert _found(reader, "fisheries", set()) == []
        assert set(_found(reader, "bees honey", {"bees", "fish"})) == {"bees"}


def test_holds_says_whether_one_of_the_documents_mentions_a_word_anywhere(index):
    with open_reader(index[0]) as reader:
        holds = reader.keyword.holds
        assert holds("queen", {"bees"}) and holds("queen", {"fish", "bees"})  # the first chunk of two
        assert holds("apprenticeships", {"bees"}) and holds("Beekeeping", {"bees"})  # stems; the title counts
        assert not holds("queen", {"fish", "solar", "cafe"}) and not holds("queen", set())
        assert not holds("zebra", {"bees"}) and not holds("queen", {"no-such-document"})


def test_holding_all_finds_the_chunks_with_every_word(index):
    reader = IndexReader(index[0])
    docs = reader.chunk_documents(reader.keyword.holding_all(["quality", "apprenticeship"], 10) or [])
    assert sorted(docs.values()) == ["bees"]  # one chunk of "bees" holds both words; others one or none
    assert reader.keyword.holding_all(["fisheries", "coffee"], 10) == [max(reader.chunk_ids_of(["cafe"]))]
    assert reader.keyword.holding_all(["fisheries", "honey"], 10) == []
    assert reader.keyword.holding_all(["zebra", "honey"], 10) == [] and reader.keyword.holding_all([], 10) is None


def test_idf_sum_grows_as_a_term_gets_rarer(index):
    with open_reader(index[0]) as reader:
        common, rare = reader.keyword.idf_sum(["fisheries"]), reader.keyword.idf_sum(["hives"])
        assert 0 < common < rare
        assert reader.keyword.idf_sum(["fisheries", "hives"]) == pytest.approx(common + rare)
        assert reader.keyword.idf_sum([]) == 0
        # a full match scores below (k1 + 1) x the summed IDF: the scale the hybrid divides by
        (_, best), = reader.keyword.search(["hives"], 1)
        assert best <= 2.2 * rare + 1e-6


def test_deletes_and_updates_across_snapshots_keep_old_readers_reading(index):
    folder, engine = index
    old = IndexReader(folder)
    _write(folder, None, {"fish": ("Aquaculture training", ["Fish farmers learn pond management."])}, remove=["fish", "solar"])
    new = IndexReader(folder)
    try:
        assert new.snapshot != old.snapshot and read_manifest(folder).keyword == engine
        assert _found(new, "nets") == [] and _found(new, "electricians") == []
        assert _found(new, "pond") == ["fish"]
        assert not new.check_integrity()
        # the old snapshot still reads its own keyword index, beside its own documents
        assert _found(old, "nets") == ["fish"] and _found(old, "pond") == []
        assert not old.check_integrity()
    finally:
        old.close()
        new.close()


def test_many_snapshots_in_a_row_stay_in_step(index):
    folder, _ = index
    for round_ in range(4):
        _write(folder, None, {f"extra{round_}": ("Extra", [f"word{round_} appears here"])}, remove=[f"extra{round_ - 1}"])
    with open_reader(folder) as reader:
        assert _found(reader, "word3") == ["extra3"] and _found(reader, "word2") == []
        assert not reader.check_integrity()


def test_an_index_keeps_its_engine_and_refuses_another(index):
    folder, engine = index
    other = next(e for e in ENGINES if e != engine)
    with pytest.raises(IndexMismatch, match="keyword engine"):
        _write(folder, other, {"x": ("X", ["x"])})
    _write(folder, engine, {"y": ("Y", ["yak"])})  # the same engine named again is fine
    assert read_manifest(folder).keyword == engine


def test_the_setting_chooses_the_engine_of_a_new_index(tmp_path, monkeypatch, fake_embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Apprenticeships\n\nQuality apprenticeships in Norway.", encoding="utf-8")
    for engine in ENGINES:
        monkeypatch.setenv("KB_KEYWORD_ENGINE", engine)
        settings = Settings.from_env(index_dir=tmp_path / engine)
        kb = KnowledgeBase(settings, embedder=fake_embedder)
        kb.ingest([docs])
        assert json.loads((tmp_path / engine / "manifest.json").read_text())["keyword"] == engine
        assert kb.search("apprenticeship", mode="keyword").hits[0].doc_id == "a.txt"
    monkeypatch.setenv("KB_KEYWORD_ENGINE", "lucene")
    with pytest.raises(ConfigError, match="KB_KEYWORD_ENGINE"):
        Settings.from_env()


def test_every_engine_scores_as_fts5_does(tmp_path):
    """The same bm25 (weights, stems, IDF) in every engine: the hybrid divides it by the same scale. (Within 3 %:
    an engine that indexes the title twice to weigh it counts it twice in the chunk's length, too: a few % on
    these chunks of a few words, less on real ones.)"""
    scores = {}
    for engine in ENGINES:
        _write(tmp_path / engine, engine, CORPUS)
        with open_reader(tmp_path / engine) as reader:
            hits = reader.keyword.search(["fisheries", "bees", "skills", "training"], 10)
            docs = reader.chunk_documents(c for c, _ in hits)
            scores[engine] = {docs[c]: s for c, s in hits}
            scores[engine]["idf_sum"] = reader.keyword.idf_sum(["fisheries", "bees", "skills", "training"])
    for engine in ENGINES:
        assert scores[engine] == pytest.approx(scores["fts5"], rel=0.03), engine


def test_a_missing_tantivy_index_says_how_to_rebuild(tmp_path):
    folder = tmp_path / "index"
    _write(folder, "tantivy", CORPUS)
    snapshot = folder / "snapshots" / read_manifest(folder).snapshot
    (snapshot / "tantivy" / "meta.json").unlink()
    with pytest.raises(IndexNotFound, match="Rebuild it: kb reindex --index"):
        IndexReader(folder)


def _write_languages(index_dir, docs: dict[str, tuple[str, str, str]]) -> None:
    """One tantivy snapshot of {doc_id: (language, title, text)}."""
    with IndexWriter(index_dir, MODEL, {"chunk_tokens": 200}, keyword_engine="tantivy") as writer:
        for doc_id, (language, title, text) in docs.items():
            doc = Document(doc_id=doc_id, title=title, type="report", date=None, language=language, source=doc_id,
                           format="txt", content_hash=doc_id + title)
            chunk = Chunk(doc_id=doc_id, ordinal=0, text=text, n_tokens=len(text.split()))
            writer.add_document(doc, "root", [chunk], np.ones((1, 8), dtype="float32"))
        writer.commit()


LANGUAGE_DOCS = {
    "fr": ("fr", "Les métiers de l'artisanat", "Des formations courtes pour les apprentis des ateliers."),
    "es": ("es", "Contrato", "Cada aprendiz tiene un tutor en la empresa."),
    "it": ("it", "Guida", "Le imprese assumono giovani apprendisti."),
    "nl": ("nl", "Gids", "Werknemers volgen opleidingen in het bedrijf."),
    "en": ("en", "Guide", "Of the apprentices, the des and de workers."),
}


def _languages_found(reader: IndexReader, query: str, languages: tuple[str, ...]) -> list[str]:
    hits = reader.keyword.search(query.split(), 10, None, languages)
    docs = reader.chunk_documents(c for c, _ in hits)
    return [docs[c] for c, _ in hits]


def test_tantivy_matches_each_language_with_its_own_stemmer(tmp_path):
    _write_languages(tmp_path / "index", LANGUAGE_DOCS)
    with open_reader(tmp_path / "index") as reader:
        assert _languages_found(reader, "formation", ("fr", "en")) == ["fr"]  # the document says "formations"
        assert _languages_found(reader, "aprendices", ("es", "en")) == ["es"]  # the document says "aprendiz"
        assert _languages_found(reader, "apprendista", ("it", "en")) == ["it"]  # "apprendisti"
        assert _languages_found(reader, "opleiding", ("nl", "en")) == ["nl"]  # "opleidingen"
        assert reader.keyword.idf_sum(["formation"], ("fr", "en")) > 0


def test_tantivy_drops_the_stop_words_of_a_documents_language_but_keeps_englishs(tmp_path):
    _write_languages(tmp_path / "index", LANGUAGE_DOCS)
    with open_reader(tmp_path / "index") as reader:
        # "des" is a French stop word: not in the French document's tokens; the English document keeps its words
        # as FTS5 always did ("de", "des" and "of" included).
        assert _languages_found(reader, "des", ("en",)) == ["en"]
        assert _languages_found(reader, "of", ("en",)) == ["en"]


def test_a_tantivy_index_without_an_analysis_version_reads_and_writes_english(tmp_path, monkeypatch):
    """An index written before per-language analysis (no kb-analysis.json) keeps English tokens for every document
    and every question, so its answers stay those it was built to give."""
    from kb.index import layout
    from kb.index.keyword import tantivy as engine

    folder = tmp_path / "index"
    with monkeypatch.context() as patch:  # written as kb wrote it before: English tokens, no analysis file
        patch.setattr(engine, "ANALYSIS_VERSION", 1)
        _write_languages(folder, {"es": LANGUAGE_DOCS["es"]})
    (layout.snapshot_dir(folder, read_manifest(folder).snapshot) / engine.FOLDER / engine.ANALYSIS_FILE).unlink()
    with open_reader(folder) as reader:
        assert reader.keyword.version == 1
        # Porter's "aprendiz" is not Spanish's "aprendic": the Spanish analysis is not used on this index.
        assert _languages_found(reader, "aprendiz", ("es", "en")) == ["es"]
        assert _languages_found(reader, "aprendices", ("es", "en")) == []
    _write_languages(folder, {"fr": LANGUAGE_DOCS["fr"]})  # a write keeps the index's analysis
    with open_reader(folder) as reader:
        assert reader.keyword.version == 1
        assert _languages_found(reader, "des", ("fr", "en")) == ["fr"]  # Porter kept the French stop word


def test_tantivy_breaks_ties_at_the_kth_place_by_chunk_id_whatever_its_segments(tmp_path, monkeypatch):
    """The same chunks written in one snapshot and in five (other tantivy segments): equal scores at the cut go to
    the smaller chunk ids in both, so a rebuilt index answers as the one it replaces."""
    from kb.index.keyword import tantivy as engine

    monkeypatch.setattr(engine, "TIE_SLACK", 2)  # ties spill past the first fetch: the loop that fetches more runs
    docs = {f"d{n:02}": ("Guide", ["Apprentices learn welding in the workshop."]) for n in range(40)}
    _write(tmp_path / "one", "tantivy", docs)
    names = list(docs)
    for start in range(0, 40, 8):
        _write(tmp_path / "five", "tantivy", {n: docs[n] for n in names[start:start + 8]})
    answers = []
    for folder in ("one", "five"):
        with open_reader(tmp_path / folder) as reader:
            hits = reader.keyword.search(["welding"], 7)
            assert len({s for _, s in hits}) == 1  # all tied
            answers.append([reader.chunk_documents([c])[c] for c, _ in hits])
    assert answers[0] == answers[1] == names[:7]


def test_a_group_of_alternative_names_scores_as_its_best_name(tmp_path):
    """A region's countries are looked for as one term: a list of every country's name does not outscore the report
    on one of them ("child labour in Central Asia" put the ILO's list of member states above the Uzbekistan report)."""
    folder = tmp_path / "index"
    _write(folder, "tantivy", {
        "report": ("Findings", ["Children in Uzbekistan pick cotton in the harvest."]),
        "members": ("Member states", ["Kazakhstan Kyrgyzstan Tajikistan Turkmenistan Uzbekistan Vanuatu Zambia."]),
        "other": ("Elsewhere", ["Children in Bhutan work in workshops."]),
        **{f"filler{i}": (f"Guide {i}", [f"Apprentices learn trade number {i} at work."]) for i in range(12)}})
    names = (("central asia", ("kazakhstan", "kyrgyzstan", "tajikistan", "turkmenistan", "uzbekistan")),)
    with open_reader(folder) as reader:
        documents = reader.chunk_documents(reader.keyword.chunk_ids())
        summed = reader.keyword.search(["children", *names[0][1]], 10)
        best = reader.keyword.search(["children"], 10, None, ("en",), names)
        assert documents[summed[0][0]] == "members"  # each name a term: the list wins
        assert documents[best[0][0]] == "report" and {documents[c] for c, _ in best} == {"report", "members", "other"}
        assert dict(best)[summed[0][0]] < summed[0][1]  # the list scores its best name alone
        assert reader.keyword.search([], 10, None, ("en",), names), "the names alone are something to look for"


def test_a_name_weighs_no_more_than_the_words_it_stands_for(tmp_path):
    """A country's name found for a region weighs what the region's words weigh, not what a rare word weighs (and
    "Timor-Leste", two rare tokens, twice that): "forced labour in the Gulf countries" put the Yemen report, which
    names Saudi Arabia, above the Oman report."""
    folder = tmp_path / "index"
    _write(folder, "tantivy", {
        "region": ("Findings", ["Central Asia harvest"]),  # the same length as "country": the same BM25 per match
        "country": ("Findings", ["Uzbekistan cotton harvest"]),
        **{f"filler{i}": (f"Guide {i}", [f"Central Asia trade {i}."]) for i in range(12)}})
    with open_reader(folder) as reader:
        documents = reader.chunk_documents(reader.keyword.chunk_ids())
        scores = {documents[c]: s for c, s in reader.keyword.search(["harvest"], 20, None, ("en",),
                                                                      (("central asia", ("uzbekistan",)),))}
        region = reader.keyword.search(["harvest", "central", "asia"], 20)
        assert scores["country"] == pytest.approx(dict(region)[next(c for c, _ in region
                                                                     if documents[c] == "region")])
        uncapped = reader.keyword.search(["harvest", "uzbekistan"], 20)
        assert uncapped[0][1] > 1.5 * scores["country"]  # the name alone is rarer than the region's words


@pytest.mark.parametrize("engine", ENGINES)
def test_every_engine_looks_for_the_alternatives(tmp_path, engine):
    folder = tmp_path / "index"
    _write(folder, engine, CORPUS)
    with open_reader(folder) as reader:
        hits = reader.keyword.search(["coffee"], 10, None, ("en",), (("bees", ("hives", "solar panels")),))
        assert {reader.chunk_documents([c])[c] for c, _ in hits} == {"cafe", "bees", "solar"}


def test_the_chunks_of_documents_about_a_country_score_as_if_they_held_its_name(tmp_path):
    """`about`: each chunk of the documents a question's country is given to scores that much more (kb/search/tagged.py)."""
    folder = tmp_path / "index"
    _write(folder, "tantivy", CORPUS)
    with open_reader(folder) as reader:
        documents = reader.chunk_documents(reader.keyword.chunk_ids())
        plain = {documents[c]: s for c, s in reader.keyword.search(["coffee"], 10)}
        hits = reader.keyword.search(["coffee"], 10, None, ("en",), about=[({"cafe", "bees"}, 3.0)])
        scored = {}
        for chunk, score in hits:
            scored.setdefault(documents[chunk], []).append(score)
        assert scored["cafe"] == [pytest.approx(plain["cafe"] + 3.0)]
        assert scored["bees"] == [3.0, 3.0]  # both its chunks, which hold no "coffee"
        assert set(scored) == {"cafe", "bees"}
        allowed = reader.keyword.search(["coffee"], 10, {"cafe"}, ("en",), about=[({"cafe", "bees"}, 3.0)])
        assert {documents[c] for c, _ in allowed} == {"cafe"}  # the filter still holds
