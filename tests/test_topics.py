"""Topics: the taxonomy file, automatic tagging of documents with known subjects, re-tagging."""

from __future__ import annotations

import pytest

from kb import KnowledgeBase, Settings
from kb.errors import ConfigError
from kb.topics import MAX_TOPICS, STRONG_TOPIC, Taxonomy, carried

pytestmark = pytest.mark.slow

KNOWN = {
    "skills-guides/osh-basics-for-apprentices-and-young-workers.pdf": "occupational-safety-health",
    "tool-reports/recognition-of-prior-learning-rpl-toolkit.pdf": "recognition-of-prior-learning",
    "tool-reports/tree-training-for-rural-economic-empowerment.pdf": "rural-development",
    "skills-guides/inclusive-apprenticeships-persons-with-disabilities.md": "disability-inclusion",
    "press-releases/2023-11-green-skills-energy-transition-south-africa.md": "green-skills",
    "press-releases/2022-05-east-africa-gulf-skills-partnership-migration.md": "skills-migration",
    "skills-guides/upgrading-informal-apprenticeships-work-based-learning-informal-economy.md": "informal-economy",
    # French and Italian texts: the topic's words in their language carry the evidence.
    "press-releases/2022-10-cote-divoire-apprentissage-renove-artisanat.html": "apprenticeships",
    "skills-guides/apprendistato-duale-guida-per-le-imprese.md": "apprenticeships",
}
NORWAY = "press-releases/2020-12-ilo-norway-partnership-launches-gpsl3.html"


def test_the_taxonomy_is_plain_data_with_enough_topics():
    taxonomy = Taxonomy.load()
    assert len(taxonomy.topics) >= 20
    assert all(t.label and t.description and t.synonyms for t in taxonomy.topics)


def test_documents_with_known_subjects_are_tagged_with_them(corpus_kb):
    for doc_id, topic in KNOWN.items():
        doc = corpus_kb.document(doc_id)
        assert topic in doc.metadata["topics_auto"], (doc_id, doc.metadata["topics_auto"])
        assert topic in doc.metadata["topics"]
    assert corpus_kb.reader().manifest.topics["sha256"] == Taxonomy.load().sha256


def test_a_new_taxonomy_retags_without_reembedding(tmp_path, corpus_copy, embedder):
    kb = KnowledgeBase(Settings(index_dir=tmp_path / "index"), embedder=embedder)
    first = kb.ingest([corpus_copy / "skills-guides"])
    custom = tmp_path / "topics.yaml"
    custom.write_text(
        "version: 2\ntopics:\n"
        "  - id: workplace-safety\n    label: Workplace safety\n"
        "    description: Preventing accidents and injuries at work, protective equipment, hazards and safety training.\n"
        "    synonyms: [hazard, injury, protective equipment]\n"
        "  - id: womens-participation\n    label: Women in training\n"
        "    description: Getting more women and girls into vocational training and trades traditionally held by men.\n"
        "    synonyms: [women, girls, gender]\n",
        encoding="utf-8")
    retagged = KnowledgeBase(Settings(index_dir=tmp_path / "index", topics_path=custom), embedder=embedder)
    report = retagged.ingest([corpus_copy / "skills-guides"])
    assert report.chunks_embedded == 0 and report.counts()["unchanged"] == len(first.added)
    osh = retagged.document("osh-basics-for-apprentices-and-young-workers.pdf")
    assert "workplace-safety" in osh.metadata["topics_auto"]
    assert "womens-participation" in retagged.document("gender-responsive-tvet-guide.pdf").metadata["topics_auto"]
    assert retagged.reader().manifest.topics["version"] == "2"


def test_a_broken_taxonomy_is_a_clear_error(tmp_path):
    bad = tmp_path / "topics.yaml"
    bad.write_text("topics:\n  - label: no id\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="id and a label"):
        Taxonomy.load(bad)


def test_a_document_carries_at_most_five_topics_unless_its_text_spreads_wider():
    scores = {"a": 0.99, "b": 0.95, "c": 0.6, "d": 0.5, "e": 0.4, "f": 0.92, "g": 0.2}
    # Metadata gave six of them: the best supported five stay, and "f" beyond them because its support is strong.
    assert carried(("g", "e", "d", "c", "b", "a"), ("f",), scores) == ("a", "b", "f", "c", "d")
    assert carried(("x-not-in-the-taxonomy",), ("a",), scores) == ("x-not-in-the-taxonomy", "a")
    assert MAX_TOPICS == 5 and STRONG_TOPIC > 0.5


def test_no_corpus_document_carries_more_than_five_topics_and_the_norway_release_not_forced_labour(corpus_kb):
    for doc in corpus_kb.reader().all_documents():
        assert len(doc.metadata.get("topics", ())) <= MAX_TOPICS, (doc.doc_id, doc.metadata["topics"])
    norway = corpus_kb.document(NORWAY).metadata
    # Its metadata names seven topics; the text gives forced labour one sentence of a regional strand.
    assert "forced-labour" not in norway["topics"]
    assert {"skills-migration", "constituents-capacity"} <= set(norway["topics"])
