"""Highlighting marks exactly the words whose stem is a query stem, never part of a hyphenated word; in English, given
the question's words, only those words and their inflections."""

from __future__ import annotations

import re

from kb.languages import fold, fold_letters
from kb.search import snippets as S
from kb.search.inflections import inflection

TEXT = ("Toys and toy-making: happy apprentices, HAPPIER employers. Training trainers trains people's skills; "
        "the trainee's lives and living. Formación técnica, éducation, Ausbildung. Relational relations relate. "
        "Dying, dyed, lying, ties, tying. s S 's 2023 20th CO2.")


def _every_word(text: str, stems: set[str]) -> list[tuple[int, int]]:
    """The reference: each word and each hyphenated compound, stemmed; a compound marked whole when all its parts
    are query stems ("toy-making" for "toys making"), a word joined to others never on its own."""
    spans = []
    for m in re.finditer(r"\w+(?:-\w+)*", text):
        parts = m.group(0).split("-")
        if all(S.stem(p) in stems for p in parts):
            spans.append((m.start(), m.end()))
    return spans


def test_highlights_equal_stemming_every_word():
    queries = ["toys", "toys making", "happy employer", "training people's lives", "formación education", "relational",
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


def test_part_of_a_hyphenated_word_is_never_marked():
    text = "Over its final two years SKILL-UP trained several thousand people in skills, co-operation and skill."
    marked = [text[s:e] for s, e in S.highlight_spans(text, {S.stem("skill")})]
    assert marked == ["skills", "skill"]
    assert S.highlight_spans(text, {S.stem("operation")}) == []


def test_a_compound_whose_every_part_is_asked_for_is_marked_whole():
    text = "During the COVID-19 pandemic, SKILL-UP moved online; the 19 centres and COVID tests."
    stems = {S.stem(t) for t in S.query_terms("COVID-19 pandemic")}
    assert [text[s:e] for s, e in S.highlight_spans(text, stems)] == ["COVID-19", "pandemic", "19", "COVID"]
    assert [text[s:e] for s, e in S.highlight_spans(text, {S.stem("skill"), S.stem("up")})] == ["SKILL-UP"]


def test_a_word_is_not_marked_inside_a_longer_one():
    text = "Targets get set; forgetting budgets, they got together."
    assert S.highlight_spans(text, {S.stem("set")}) == [(12, 15)]
    assert S.highlight_spans(text, {S.stem("get")}) == []  # a generic verb: searched for, not marked


def test_a_snippet_shows_the_query_words_of_a_passage_not_its_generic_verbs():
    text = "How migrant workers get their skills recognised: recognition of prior learning."
    stems = {S.stem(t) for t in S.query_terms("how can migrant workers get their skills recognised?")}
    snippet, marks = S.make_snippet(text, stems)
    assert [snippet[s:e] for s, e in marks] == ["migrant", "workers", "skills", "recognised"]


def test_the_lowercase_scan_finds_what_the_ignorecase_scan_finds():
    """highlight_spans scans the lowercased text case-sensitively; where lowercasing compares otherwise than
    re.IGNORECASE ("ſ" is an "s", "İ" lowercases to two characters) it keeps the IGNORECASE scan: the spans agree."""
    texts = ["Skills, SKILL-UP and up-skilling: skill-based skills; re-skill", "ſkills İstanbul skills ΣΚΙΛ skill",
             "work- ers work--work -work work- workers' WORKING co-op Co-Op", "a-b-c a--b -x-y- x_y-z 3-d 3D"]
    for stems in ({S.stem("skills")}, {S.stem("work"), S.stem("co")}, {"a", "b", "x", "y"}, {"3", "d"}, {"σκιλ"}):
        for text in texts:
            old = [m.span() for m in S._candidates(frozenset(stems)).finditer(text)]
            assert S._starting_words(text, frozenset(stems)) == old, (text, stems)
            assert S._compounds(text) == [m.span() for m in S._COMPOUND.finditer(text)], text


def test_the_lowercase_scan_agrees_with_the_ignorecase_scan_on_random_text():
    """Random runs of letters, hyphens of every kind, digits, underscores, accents and punctuation: the word-start and
    hyphen checks the lowercase scan makes inside its pattern give the spans of the IGNORECASE scan."""
    import random

    rng = random.Random(7)
    alphabet = "abcdeABCDEéÉ_09 \u00ad\u2010\u2011-.,'\n"
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        # stems as stem() gives them, accents folded; the IGNORECASE scan reads the text folded as the lowercase one does
        stems = frozenset(fold("".join(rng.choice("abcdeé") for _ in range(rng.randint(1, 5)))) for _ in range(rng.randint(1, 3)))
        old = [m.span() for m in S._candidates(stems).finditer(fold_letters(text))]
        assert S._starting_words(text, stems) == old, (text, stems)


def test_the_compounds_found_from_the_hyphens_are_those_the_regex_finds():
    import random

    rng = random.Random(5)
    for _ in range(3000):
        text = "".join(rng.choice("ab É_9 \u00ad\u2010\u2011-.\u2013") for _ in range(rng.randint(0, 30)))
        assert S._compounds(text) == [m.span() for m in S._COMPOUND.finditer(text)], text


def test_the_stems_a_passage_holds_are_those_of_its_every_word():
    """stems_held stems only the words that begin like a stem; it finds what stemming every word finds, including a
    stem that only a word inside another would give ("work" in "network", "skill" in "up-skilling")."""
    import random

    def every_word(text: str, stems: frozenset[str]) -> set[str]:
        return {S.stem(w) for w in re.findall(r"\w+", text.lower())} & stems

    rng = random.Random(11)
    words = ["network", "work", "Workers", "WORKING", "skills", "up-skilling", "ſkill", "İstanbul", "labour", "labor",
             "toys", "Toy", "co-op", "studies", "study", "children", "child's", "3-D", "é", "_x", "sky", "skies"]
    for _ in range(2000):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(0, 12)))
        # A question's words are \w+ runs, lowercased ("İstanbul" then holds a combining dot, which \w does not match).
        asked = re.findall(r"\w+", " ".join(rng.choice(words + ["net", "ork", "kill", "bour"]) for _ in range(3)))
        stems = frozenset(S.stem(w) for w in asked[:rng.randint(0, 3)]) - {""}
        assert S.stems_held(text, stems) == every_word(text, stems), (text, stems)



def test_a_quoted_phrase_is_shown_whole_and_a_marked_word_at_the_windows_end_is_kept():
    """'«apprentissage rénové»': the window that began before an earlier "apprentissage" tied with the one holding the
    phrase and ended inside it, so the snippet read "… un programme d'apprentissage…" without the phrase's mark."""
    from kb.search.phrases import words

    text = ("Abidjan – Le ministère de l'Enseignement technique, de la formation professionnelle et de l'apprentissage, "
            "les organisations professionnelles d'employeurs, les chambres de métiers et les syndicats ont lancé, avec "
            "l'appui de l'Organisation internationale du Travail (OIT), un programme d'apprentissage rénové. Une nouvelle "
            "promotion d'apprentis a fait sa rentrée dans les ateliers de couture, de coiffure et de menuiserie.")
    snippet, marks = S.make_snippet(text, {S.stem("apprentissage"), S.stem("rénové")}, language="fr",
                                    phrases=[words("apprentissage rénové")])
    assert "apprentissage rénové" in [snippet[s:e] for s, e in marks]
    # A word that ends where the window ends stays in the snippet, marked (the snap to a space used to cut it off).
    filler = "lorem ipsum dolor sit amet " * 12
    text = f"{filler}skills {filler[:60]}training and the rest of the text goes on for a while longer here."
    first, last = text.index("skills"), text.index("training") + len("training")
    size = next(n for n in range(40, 400) if first - n // 4 + n == last)
    snippet, marks = S.make_snippet(text, {S.stem("skills"), S.stem("training")}, size=size)
    assert [snippet[s:e] for s, e in marks] == ["skills", "training"]


def test_in_english_a_word_is_marked_with_its_inflections_not_its_derivations():
    text = ("Employers and employment; informal work and information; countries and a country; training, trained "
            "and trainers; they stopped stopping; a university's universal offer.")
    terms = S.query_terms("employer informal country training stop universal")
    stems = {S.stem(t) for t in terms}
    everything = [text[s:e] for s, e in S.highlight_spans(text, stems)]
    assert {"employment", "information", "university"} <= set(everything)  # Porter gives each its word's stem
    marked = [text[s:e] for s, e in S.highlight_spans(text, stems, "en", terms)]
    assert marked == ["Employers", "informal", "countries", "country", "training", "trained", "stopped", "stopping",
                      "universal"]


def test_inflections_decide_marks_but_in_a_passage_in_the_questions_own_language_and_each_part_of_a_compound():
    french = "Les organisations professionnelles aident à organiser la formation. Un pays, deux países."
    terms = S.query_terms("organisations pay")
    stems = {S.stem(t) for t in terms}
    marked = {asked_in: [french[s:e] for s, e in S.highlight_spans(french, stems, "fr", terms, asked_in)]
              for asked_in in ("fr", "en")}
    assert marked["fr"] == ["organisations", "organiser", "pays"]  # as the index's French analysis matches them
    assert marked["en"] == ["organisations", "pays"]  # an English question: its words and their inflections, not "países"
    text = "During the COVID-19 pandemic, pandemics and the covid-related closures."
    terms = S.query_terms("COVID-19 pandemic")
    marked = [text[s:e] for s, e in S.highlight_spans(text, {S.stem(t) for t in terms}, "en", terms)]
    assert marked == ["COVID-19", "pandemic", "pandemics"]


def test_inflection():
    for word, term in [("countries", "country"), ("trained", "training"), ("hoping", "hope"), ("stopping", "stop"),
                       ("certifying", "certified"), ("studies", "study"), ("skills", "skill"), ("needs", "needed")]:
        assert inflection(word, term) and inflection(term, word), (word, term)
    for word, term in [("employment", "employer"), ("information", "informal"), ("persons", "personal"),
                       ("important", "import"), ("university", "universal"), ("trainers", "training")]:
        assert not inflection(word, term) and not inflection(term, word), (word, term)


def test_a_window_that_would_run_past_the_text_shows_more_before_it():
    """The words matched last in a chunk were shown with a quarter of a window before them and nothing after: a
    line-long snippet; the window now ends with the text and shows its full size."""
    text = ("Present the findings at a workshop with associations, the TVET authority, local government, employers' and "
            "workers' organizations. Agree on which trades to start with, what the programme will offer, who will pay "
            "for what, and how results will be tracked, given the number of young people involved, and the readiness of "
            "associations to take part.")
    terms = S.query_terms("how do employers take part in informal apprenticeships?")
    snippet, marks = S.make_snippet(text, {S.stem(t) for t in terms}, language="en", terms=terms)
    assert snippet.endswith("to take part.") and len(snippet) >= S.SNIPPET_CHARS - 30, snippet
    assert [snippet[s:e] for s, e in marks][-2:] == ["take", "part"]


def test_a_word_typed_without_its_accents_marks_the_word_with_them_and_the_other_way_round():
    text = "Les compétences numériques des formateurs; la Formación Técnica; naïve façade. Ærø."
    for query, words in (("competences numeriques", ["compétences", "numériques"]),
                         ("compétences numériques", ["compétences", "numériques"]),
                         ("formacion tecnica", ["Formación", "Técnica"]), ("naive facade", ["naïve", "façade"])):
        stems = {S.stem(t) for t in S.query_terms(query)}
        assert [text[s:e] for s, e in S.highlight_spans(text, stems, "fr")] == words, query
        assert S.stems_held(text, frozenset(stems)) == stems, query


def test_folding_keeps_every_offset():
    from kb.languages import fold_letters

    for text in ("Ærø’s façade — İstanbul ǆ", "plain ascii", "Ωμέγα çà"):
        assert len(fold_letters(text)) == len(text)
    assert fold_letters("Compétences À l'été, ø") == "Competences A l'ete, ø"
