"""Highlighting marks exactly the words whose stem is a query stem."""

from __future__ import annotations

from kb.search import snippets as S

TEXT = ("Toys and toy-making: happy apprentices, HAPPIER employers. Training trainers trains people's skills; "
        "the trainee's lives and living. Formación técnica, éducation, Ausbildung. Relational relations relate. "
        "Dying, dyed, lying, ties, tying. s S 's 2023 20th CO2.")


def _every_word(text: str, stems: set[str]) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in S._WORD.finditer(text) if S.stem(m.group(0)) in stems]


def test_highlights_equal_stemming_every_word():
    queries = ["toys", "happy employer", "training people's lives", "formación education", "relational",
               "dying ties", "2023 co2", "20th", "Ausbildung"]
    for query in queries:
        stems = {S.stem(t) for t in S.query_terms(query)}
        expected = _every_word(TEXT, stems - {""})
        assert S.highlight_spans(TEXT, stems) == expected, query
        assert expected, query  # each query has words in the text


def test_a_lone_s_is_never_marked():
    stems = {S.stem(t) for t in S.query_terms("people's skills")}
    assert "" in stems
    marked = [TEXT[s:e] for s, e in S.highlight_spans(TEXT, stems)]
    assert marked and "s" not in [m.lower() for m in marked]
