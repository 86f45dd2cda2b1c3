"""Chunks are bounded by the model's own tokenizer, follow sentences, and keep provenance."""

from __future__ import annotations

from kb.ingest.chunking import ChunkerSettings, chunk_document, embedding_input, split_sentences
from kb.records import Section


def test_sentences_are_not_split_after_abbreviations():
    text = "See Art. 3 of Convention No. 138, e.g. for minimum ages. The ILO agreed. Mr. Diallo spoke."
    assert split_sentences(text) == [
        "See Art. 3 of Convention No. 138, e.g. for minimum ages.",
        "The ILO agreed.",
        "Mr. Diallo spoke.",
    ]


def test_every_chunk_fits_the_model_even_with_a_huge_sentence(embedder):
    settings = ChunkerSettings(chunk_tokens=200, overlap_tokens=40, max_seq_length=embedder.max_seq_length)
    monster = " ".join(["apprenticeship-based-learning-arrangements"] * 400)  # one 'sentence' of ~4,000 tokens
    sections = [Section(text="Short opening. " + monster + ". Closing words.", page=1)]
    chunks = chunk_document("d", "A very long title " * 30, sections, settings, embedder.count_tokens)
    assert len(chunks) > 10
    for chunk in chunks:
        full = embedding_input(chunk.context, chunk.text)  # exactly what the pipeline embeds
        assert embedder.count_tokens([full])[0] <= embedder.max_seq_length
        assert chunk.n_tokens <= embedder.max_seq_length


def test_overlap_repeats_the_last_sentence_of_the_previous_chunk(fake_embedder):
    sentences = [f"Sentence number {i} talks about training topic {i}." for i in range(40)]
    settings = ChunkerSettings(chunk_tokens=40, overlap_tokens=12, max_seq_length=128)
    chunks = chunk_document("d", "T", [Section(text=" ".join(sentences))], settings, fake_embedder.count_tokens)
    assert len(chunks) > 3
    for prev, nxt in zip(chunks, chunks[1:]):
        last_sentence = split_sentences(prev.text)[-1]
        assert nxt.text.startswith(last_sentence)


def test_chunks_stay_on_their_page_and_heading(fake_embedder):
    settings = ChunkerSettings(chunk_tokens=60, overlap_tokens=10, max_seq_length=128)
    sections = [
        Section(text="Page one talks about wages. " * 10, page=1, heading_path=("1. Wages",)),
        Section(text="Page two talks about safety. " * 10, page=2, heading_path=("2. Safety",)),
    ]
    chunks = chunk_document("d", "T", sections, settings, fake_embedder.count_tokens)
    assert {c.page for c in chunks} == {1, 2}
    for chunk in chunks:
        assert ("wages" in chunk.text) == (chunk.page == 1)
        assert chunk.heading_path == (("1. Wages",) if chunk.page == 1 else ("2. Safety",))
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))


def test_a_long_sentence_is_cut_into_full_runs_and_an_absurd_word_by_characters(embedder):
    from itertools import pairwise

    from kb.ingest.chunking import _split_long

    url = "https://example.org/" + "x7q" * 400  # one "word" of hundreds of tokens, mid-sentence
    words = [f"worker{i} learns" for i in range(150)]
    sentence = " ".join(words[:75] + [url] + words[75:])
    limit = 60
    pieces = _split_long(sentence, limit, embedder.count_tokens)
    sizes = [n - 2 for n in embedder.count_tokens(pieces)]
    assert max(sizes) <= limit
    assert "".join(pieces).replace(" ", "") == sentence.replace(" ", "")  # nothing lost, order kept
    word_runs = [p for p in pieces if "x7q" not in p]
    # Greedy: a run stops only because the next word would not fit.
    for run, nxt in pairwise(pieces):
        if run in word_runs and nxt in word_runs:
            assert embedder.count_tokens([run + " " + nxt.split()[0]])[0] - 2 > limit


def test_a_list_marker_stays_with_the_sentence_it_numbers():
    text = "1. De Leden verbinden zich de verdragen toe te passen. 2. Ieder Lid doet een verklaring. (3) Next item."
    assert split_sentences(text) == [
        "1. De Leden verbinden zich de verdragen toe te passen.",
        "2. Ieder Lid doet een verklaring.",
        "(3) Next item.",
    ]


def test_no_chunk_is_a_scrap_where_its_section_has_more_to_say(embedder):
    from kb.ingest.chunking import MIN_CHUNK_TOKENS

    settings = ChunkerSettings(chunk_tokens=200, overlap_tokens=40, max_seq_length=embedder.max_seq_length)
    long_item = " ".join(f"the member undertakes obligation {i} for territories" for i in range(45))  # ~300 tokens
    tail = "as the Conference decides."
    sections = [
        Section(text=f"1.\n{long_item}, {tail}", heading_path=("Article 35",)),  # a marker, then one over-long sentence
        Section(text=" ".join(f"quality apprenticeship rule {i}" for i in range(50)) + ". End.", heading_path=("Article 36",)),
    ]
    chunks = chunk_document("d", "Statute", sections, settings, embedder.count_tokens)
    own = [c.text for c in chunks]
    assert not any(text in ("1.", tail, "End.") for text in own), own
    assert chunks[0].text.startswith("1. the member")
    assert chunks[-1].text.startswith("quality apprenticeship rule 0") and chunks[-1].text.endswith("49. End.")  # its scrap joined it
    for chunk in chunks:
        assert chunk.n_tokens <= embedder.max_seq_length
        assert embedder.count_tokens([embedding_input(chunk.context, chunk.text)])[0] == chunk.n_tokens
    assert sum(n - 2 < MIN_CHUNK_TOKENS for n in embedder.count_tokens(own)) == 0


def test_a_long_run_without_spaces_of_uneven_density_still_fits(embedder):
    settings = ChunkerSettings(chunk_tokens=200, overlap_tokens=40, max_seq_length=embedder.max_seq_length)
    blob = "a" * 3000 + "€漢字ü" * 400  # cheap characters, then ones that cost a token each: cut by characters
    chunks = chunk_document("d", "Blob", [Section(text=f"Start here. {blob} and the end.")], settings, embedder.count_tokens)
    assert chunks and all(c.n_tokens <= embedder.max_seq_length for c in chunks)
    assert chunks[-1].text.endswith("and the end.")
