"""Languages: each language's analysis, which language a question is in, the notice when the model does not
understand it, the question language from the CLI and the API, and KB_MODEL from a local folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb import KnowledgeBase, Settings
from kb.errors import ConfigError, QueryError
from kb.index.keyword.analysis import STOPPED, analyzer
from kb.languages import DETECTION_FLOOR, LANGUAGES, STOP_WORDS, analysis_languages, detect, notice, question_language
from kb.search.question import read_question
from kb.search.snippets import query_terms
from tests.conftest import CORPUS, small_kb

QUESTIONS = Path(__file__).parent / "data" / "query_languages.tsv"
FRENCH = ("press-releases/2022-10-cote-divoire-apprentissage-renove-artisanat.html",
          "press-releases/2024-02-senegal-formations-courtes-jeunes-economie-informelle.txt",
          "skills-guides/guide-competences-numeriques-formation-professionnelle.md")
SPANISH = ("press-releases/2023-09-colombia-contrato-de-aprendizaje-aprendices.html",
           "tool-reports/guia-certificacion-competencias-trabajadores-migrantes.txt")
ITALIAN = ("skills-guides/apprendistato-duale-guida-per-le-imprese.md",)


def _questions() -> list[tuple[str, str]]:
    rows = [line.split("\t") for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    return [(language, question) for language, question in rows]


@pytest.mark.parametrize(("language", "inflected", "plain"), [
    ("fr", "formations", "formation"), ("fr", "compétences", "competence"), ("es", "aprendices", "aprendiz"),
    ("es", "formaciones", "formación"), ("it", "apprendisti", "apprendista"), ("nl", "opleidingen", "opleiding"),
    ("en", "apprenticeships", "apprenticeship"),
])
def test_a_languages_analysis_gives_an_inflected_form_its_plain_forms_token(language, inflected, plain):
    assert analyzer(language).tokens(inflected) == analyzer(language).tokens(plain)


def test_english_tokens_are_porters_with_the_stop_words_kept():
    import Stemmer

    porter = Stemmer.Stemmer("porter")
    text = "The apprentices' training of the workers, in Côte d'Ivoire"
    expected = [porter.stemWord(w) for w in ("the", "apprentices", "training", "of", "the", "workers", "in", "cote", "d", "ivoire")]
    assert analyzer("en").tokens(text) == expected
    assert analyzer("pt").tokens(text) == expected  # a language kb has no analysis for is English's


def test_other_languages_leave_a_placeholder_for_each_stop_word():
    assert analyzer("fr").tokens("l'apprentissage des jeunes") == [STOPPED, "apprentissag", STOPPED, "jeun"]
    assert analyzer("es").tokens("los derechos del aprendiz") == [STOPPED, "derech", STOPPED, "aprendic"]
    for language in LANGUAGES:
        assert STOP_WORDS[language] and all(w == w.lower() for w in STOP_WORDS[language])


def test_question_terms_drop_the_stop_words_of_the_questions_languages():
    assert query_terms("apprentissage des jeunes", analysis_languages("fr")) == ["apprentissage", "jeunes"]
    assert query_terms("los derechos del aprendiz", analysis_languages("es")) == ["derechos", "aprendiz"]
    # English questions keep the words they always kept (French "de" is no English stop word).
    assert query_terms("apprentissage de jeunes") == ["apprentissage", "de", "jeunes"]
    assert query_terms("the rights of the apprentice") == ["rights", "apprentice"]


@pytest.mark.parametrize(("question", "language", "terms"), [
    ("latest on green jobs", "en", ["green", "jobs"]),
    ("most recent news about Nepal", "en", ["news", "nepal"]),
    ("dernières nouvelles sur l'apprentissage", "fr", ["nouvelles", "apprentissage"]),
    ("informes recientes sobre empleo juvenil", "es", ["informes", "empleo", "juvenil"]),
    ("ultime notizie sull'apprendistato", "it", ["notizie", "apprendistato"]),
    ("what did the ILO announce about Ghana", "en", ["ilo", "ghana"]),  # what a body said or published
    ("qu'a dit l'OIT sur l'apprentissage", "fr", ["oit", "apprentissage"]),
    ("¿qué dice la OIT sobre el aprendizaje?", "es", ["oit", "aprendizaje"]),
    ("annonces d'emploi", "fr", ["annonces", "emploi"]),  # a job advertisement is a subject
])
def test_words_that_ask_for_the_newest_are_not_searched(question, language, terms):
    """No passage holds the "latest" of "latest on green jobs": it said "No confident match: no passage holds
    “latest”" above the green jobs press release."""
    assert query_terms(question, analysis_languages(language)) == terms


def test_short_questions_are_detected_in_their_language_and_english_is_never_lost():
    """tests/data/query_languages.tsv: short questions written for this test. An English question taken for another
    language would be matched with that language's analysis beside English's, so none may be; of the French and
    Spanish ones most must be recognised (a miss is matched as English)."""
    rows = _questions()
    assert len(rows) >= 60
    wrong_english = [q for language, q in rows if language == "en" and question_language(q) != "en"]
    assert wrong_english == []
    romance = [(language, q) for language, q in rows if language in ("fr", "es")]
    found = sum(question_language(q) == language for language, q in romance)
    # 27 of 30 by py3langid alone; 30 with the word lists' say on the short ones ("aprendizaje permanente")
    assert found >= 0.95 * len(romance), f"{found} of {len(romance)} French and Spanish questions recognised"


def test_a_question_below_the_floor_is_english_unless_its_words_are_all_of_the_detected_language():
    code, probability = detect("green jobs")
    assert code != "en" and probability < DETECTION_FLOOR
    assert question_language("green jobs") == "en"
    for question, language in (("empleos verdes", "es"), ("diálogo social", "es"), ("aprendices", "es"),
                               ("apprendistato", "it"), ("formation continue", "en"), ("Kenya", "en"),
                               ("aprenticeship in kenia", "en"), ("gender equality", "en")):
        assert detect(question)[1] < DETECTION_FLOOR, question  # too short for py3langid alone
        assert question_language(question) == language, question  # ("formation continue": English words too)
    assert analysis_languages("en") == ("en",) and analysis_languages("fr") == ("fr", "en")


@pytest.mark.parametrize(("question", "language"), [
    ("conge maladie indemnites journalieres", "fr"),  # was English, and "conge" was corrected to "longe"
    ("competences numeriques referentiels metiers", "fr"),
    ("capacitacion tecnica para jovenes", "es"),
    ("formazione professionale continua", "it"),
])
def test_a_question_typed_without_its_accents_is_of_the_language_whose_words_they_are(question, language):
    assert question_language(question) == language


@pytest.mark.parametrize(("question", "language"), [
    ("child labour in Côte d'Ivoire cocoa", "en"),  # py3langid read French in the name (0.88)
    ("Côte d'Ivoire apprenticeship", "en"),
    ("apprentissage en Côte d'Ivoire", "fr"),
    ("jeunes du Burkina Faso", "fr"),
    ("empleo juvenil en Colombia", "es"),
])
def test_a_countrys_name_is_no_languages_word(question, language):
    assert question_language(question) == language


def test_a_french_question_typed_without_accents_is_not_corrected_into_english(corpus_kb):
    result = corpus_kb.search("conge maladie indemnites journalieres")
    assert result.query_language == "fr" and result.corrections == {}


def test_a_short_question_whose_words_another_list_holds_is_taken_in_it_the_official_languages_first():
    """py3langid leans Italian on "convenio 189" (Italian's list holds "convenio" too) and English on "protection
    sociale": both were matched so. The likeliest language whose list holds every word is now taken, French and
    Spanish (the ILO's official languages) before Italian and Dutch."""
    for question, language in (("convenio 189", "es"), ("libertad sindical", "es"), ("protection sociale", "fr"),
                               ("apprendistato", "it"), ("social protection", "en"), ("formation continue", "en"),
                               ("aprenticeship in kenia", "en"), ("desempleo juvenil", "en")):  # "desempleo": no list's
        assert question_language(question) == language, question
    assert detect("convenio 189")[0] == "it" and detect("protection sociale")[0] == "en"


def test_the_notice_says_meaning_search_is_limited_only_when_the_model_does_not_know_the_language():
    said = notice("fr", "hybrid", "all-MiniLM-L6-v2", "en")
    assert said is not None and "French" in said and "keyword search carries the question" in said
    assert said.count(". ") == 0 and said.endswith(".")  # one sentence
    assert "hybrid or keyword mode" in (notice("es", "dense", "all-MiniLM-L6-v2", "en") or "")
    assert notice("en", "hybrid", "all-MiniLM-L6-v2", "en") is None
    assert notice("fr", "keyword", "all-MiniLM-L6-v2", "en") is None  # no model in keyword mode
    assert notice("fr", "hybrid", "some-model", "multilingual") is None
    assert notice("fr", "hybrid", "some-model", "en,fr") is None


def test_model_languages_come_from_the_environment_and_are_checked(monkeypatch):
    monkeypatch.setenv("KB_MODEL_LANGUAGES", "EN, FR")
    assert Settings.from_env().model_languages == "en, fr"
    monkeypatch.setenv("KB_MODEL_LANGUAGES", "multilingual")
    assert Settings.from_env().model_languages == "multilingual"
    assert Settings().model_languages == "en"
    monkeypatch.setenv("KB_MODEL_LANGUAGES", "English")
    with pytest.raises(ConfigError, match="KB_MODEL_LANGUAGES"):
        Settings.from_env()


# ---- over corpus/ with the real model -------------------------------------------------------------------------

def _ids(result) -> list[str]:
    return [h.doc_id for h in result.hits]


@pytest.mark.slow
def test_the_added_documents_are_indexed_in_their_language(corpus_kb):
    documents = {d.doc_id: d.language for d in corpus_kb.reader().all_documents()}
    assert all(documents[d] == "fr" for d in FRENCH)
    assert all(documents[d] == "es" for d in SPANISH)
    assert all(documents[d] == "it" for d in ITALIAN)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["keyword", "hybrid"])
@pytest.mark.parametrize(("question", "language", "answers"), [
    ("apprentissage des jeunes", "fr", FRENCH[:2]),
    ("formations courtes dans les ateliers", "fr", FRENCH[1:2]),
    ("compétences numériques des formateurs", "fr", FRENCH[2:]),
    ("derechos de los aprendices", "es", SPANISH[:1]),
    ("contrato de aprendizaje", "es", SPANISH[:1]),
    ("certificación de competencias de trabajadores migrantes", "es", SPANISH[1:]),
    ("tutor aziendale dell'apprendista", "it", ITALIAN),
])
def test_a_french_spanish_or_italian_question_finds_the_documents_in_its_language(corpus_kb, mode, question, language, answers):
    result = corpus_kb.search(question, k=5, mode=mode)
    assert result.query_language == language
    top = _ids(result)[:3]
    assert set(answers) <= set(top), (question, mode, top)


@pytest.mark.slow
def test_an_inflected_form_finds_the_document_by_keyword(corpus_kb):
    # The Colombian release says "aprendiz" and "aprendices"; the Senegalese one says "formations" and "formation".
    for question in ("aprendiz", "aprendices"):
        assert SPANISH[0] in _ids(corpus_kb.search(question, k=3, mode="keyword", query_language="es"))
    for question in ("formation courte", "formations courtes"):
        assert FRENCH[1] in _ids(corpus_kb.search(question, k=3, mode="keyword", query_language="fr"))


def test_a_question_typed_without_its_accents_is_answered_as_one_with_them(corpus_kb):
    # Keyboards without French or Spanish keys: "competences numeriques" for "compétences numériques". The keyword
    # index folds accents; the passages, their marks and the confidence read the question's words the same way.
    typed = corpus_kb.search("competences numeriques des formateurs", k=3)
    accented = corpus_kb.search("compétences numériques des formateurs", k=3)
    assert _ids(typed) == _ids(accented) and _ids(typed)[0] == FRENCH[2]
    assert typed.confident and typed.confidence_reason == accented.confidence_reason
    assert [p.chunk_id for p in typed.hits[0].passages] == [p.chunk_id for p in accented.hits[0].passages]
    marked = {p.snippet[a:b].lower() for p in typed.hits[0].passages for a, b in p.highlights}
    assert "formateurs" in marked and any(word.startswith("numériq") for word in marked)  # accented, marked
    spanish = corpus_kb.search("certificacion de competencias laborales", k=1, query_language="es")
    assert _ids(spanish) == [SPANISH[1]] and spanish.confident
    marked = {spanish.hits[0].passages[0].snippet[a:b].lower() for a, b in spanish.hits[0].passages[0].highlights}
    assert "certificación" in marked


def test_a_country_named_in_the_questions_language_is_searched_by_its_english_name_too(corpus_kb):
    from kb.search.question import read_question

    reader = corpus_kb.reader()
    spanish = read_question(reader, "trabajo infantil en el Líbano")
    assert spanish.language == "es" and spanish.text == "trabajo infantil en el Lebanon"
    assert "lebanon" in spanish.terms and spanish.written[0] == "líbano"  # a Spanish document writes "Líbano"
    assert spanish.written[1:] == ("child", "labour")  # "trabajo infantil", by its English name (kb/data/glossary.tsv)
    english = read_question(reader, "Syrian refugee children in Turkey")  # the table says Türkiye; documents, Turkey
    assert english.text == "Syrian refugee children in Turkey" and english.written == ("türkiye",)  # looked for beside
    for question, written, name in (("líbano", "Líbano", "Lebanon"), ("kenia", "Kenia", "Kenya")):
        result = corpus_kb.search(question, k=3)
        assert f"Searched “{written}” as “{name}” too." in result.notices, question
        marked = {p.snippet[a:b] for p in result.hits[0].passages for a, b in p.highlights}
        assert name in marked and result.confident, question  # the English name, in the top hit's passage


def test_a_word_of_the_questions_language_weighs_as_its_documents_use_it(corpus_kb):
    """A Spanish question is matched in Spanish and English: "empleos" (held by Spanish chunks) summed a Spanish IDF
    and the top IDF of an English token no chunk holds, and outweighed "verdes" (held by none); a passage holding
    "empleos" alone then held "most of the question's rarer words"."""
    from kb.search.evidence import term_idfs

    reader = corpus_kb.reader()
    weights = term_idfs(reader, ["empleos", "verdes"], ("es", "en"))
    assert weights["empleos"] < weights["verdes"] == reader.keyword.idf_sum(["verdes"], ("es",))
    assert weights["empleos"] == reader.keyword.idf_sum(["empleos"], ("es",))
    assert not corpus_kb.search("trabajo infantil en el Líbano", k=3).confident  # no document on it
    # "empleos verdes" had no Spanish document; by its English name, "green job", it finds English ones that hold it
    green = corpus_kb.search("empleos verdes", k=3)
    assert any({"green", "jobs"} <= {p.snippet[a:b].lower() for p in h.passages for a, b in p.highlights} for h in green.hits)
    assert corpus_kb.search("contrato de aprendizaje", k=3).confident  # the Colombian release


@pytest.mark.slow
def test_a_question_not_in_the_models_language_gets_one_notice(corpus_kb):
    french = corpus_kb.search("apprentissage des jeunes", k=3)
    said = [n for n in french.notices if "all-MiniLM-L6-v2" in n]  # and "Searched “apprentissage” as …" (glossary)
    assert french.query_language == "fr" and len(said) == 1
    english = corpus_kb.search("apprenticeships for young people", k=3)
    assert english.query_language == "en" and english.notices == ()
    given = corpus_kb.search("apprenticeships", k=3, query_language="ES")
    assert given.query_language == "es" and given.notices
    with pytest.raises(QueryError, match="en, fr, es, it, nl"):
        corpus_kb.search("apprenticeships", query_language="xx")


@pytest.mark.slow
def test_the_cli_and_the_api_take_the_questions_language(corpus_kb):
    from click.testing import CliRunner
    from fastapi.testclient import TestClient

    from kb.api.app import create_app
    from kb.cli import main

    index = str(corpus_kb.settings.index_dir)
    out = CliRunner().invoke(main, ["search", "aprendices", "--query-lang", "es", "--mode", "keyword", "--json", "--index", index])
    assert out.exit_code == 0, out.output
    cli = json.loads(out.output)
    assert cli["query_language"] == "es" and SPANISH[0] in [h["doc_id"] for h in cli["hits"]]
    client = TestClient(create_app(corpus_kb.settings, kb=corpus_kb))
    api = client.get("/search", params={"q": "aprendices", "query_lang": "es", "mode": "keyword"}).json()
    assert api["query_language"] == "es" and [h["doc_id"] for h in api["hits"]] == [h["doc_id"] for h in cli["hits"]]
    assert client.get("/search", params={"q": "aprendices", "query_lang": "xx"}).status_code == 400
    # `lang` stays the documents' language: Spanish documents only.
    only = client.get("/search", params={"q": "aprendices", "lang": "es", "mode": "keyword"}).json()
    assert only["hits"] and {h["language"] for h in only["hits"]} == {"es"}


@pytest.mark.slow
def test_kb_model_takes_a_local_folder_and_its_languages(tmp_path, monkeypatch):
    """A multilingual model is used from a folder (KB_MODEL) and declared with KB_MODEL_LANGUAGES. None installs here,
    so the packaged model stands in under another folder name: the plumbing, not the model's French, is tested."""
    from kb.embed import packaged_model_path

    packaged = packaged_model_path()
    if packaged is None:
        pytest.skip("the packaged model is not installed")
    folder = tmp_path / "models" / "my-multilingual-model"
    folder.mkdir(parents=True)
    for item in Path(packaged).iterdir():  # a real folder of links: resolving it keeps this folder's name
        (folder / item.name).symlink_to(item)
    monkeypatch.setenv("KB_MODEL", str(folder))
    monkeypatch.setenv("KB_MODEL_LANGUAGES", "multilingual")
    monkeypatch.setenv("KB_INDEX", str(tmp_path / "index"))
    kb = KnowledgeBase(Settings.from_env())
    report = kb.ingest([CORPUS / "press-releases"])
    assert not report.failed
    manifest = json.loads((tmp_path / "index" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["model"]["name"] == str(folder) and manifest["model"]["path"] == str(folder)
    french = kb.search("apprentissage des jeunes", k=3)
    # no word that meaning search is limited (the glossary's "Searched “apprentissage” as “apprenticeship” too." stays)
    assert french.query_language == "fr" and not [n for n in french.notices if "meaning search" in n]
    assert FRENCH[0].split("/", 1)[1] in _ids(french)  # ids are relative to the ingested folder
    monkeypatch.setenv("KB_MODEL_LANGUAGES", "en")  # the same index, the model declared English
    assert KnowledgeBase(Settings.from_env()).search("apprentissage des jeunes", k=3).notices


def test_highlights_skip_the_stop_words_of_the_passages_language():
    from kb.search.snippets import highlight_spans, stem

    text = "Le programme d'apprentissage de Côte d'Ivoire, de 2022."
    stems = {stem(t) for t in query_terms("Côte d'Ivoire apprenticeship")}  # an English question: "d" is a term
    marked = [text[s:e] for s, e in highlight_spans(text, stems, "fr")]
    assert marked == ["Côte", "Ivoire"]
    assert "d" in [text[s:e] for s, e in highlight_spans(text, stems)]  # English passages: as before
    english = "The d-day of the programme"
    assert highlight_spans(english, {stem("programme")}, "en") == highlight_spans(english, {stem("programme")})


def test_an_english_questions_country_is_looked_for_by_the_tables_name_too(corpus_kb):
    """A document that writes "Côte d'Ivoire" answers "Ivory Coast" (the question's text, as typed, is what is embedded)."""
    result = corpus_kb.search("apprenticeships in Ivory Coast", k=3, mode="keyword")
    assert result.hits[0].doc_id == "press-releases/2022-10-cote-divoire-apprentissage-renove-artisanat.html"
    assert "Searched “Ivory Coast” as “Côte d'Ivoire” too." in result.notices
    named = corpus_kb.search("Saint Helena, Ascension and Tristan da Cunha", k=1, mode="keyword")
    assert not named.notices  # the table's "Saint Helena" adds no word to the question: nothing to say


def test_a_country_found_by_the_tables_name_is_marked_as_the_document_writes_it(tmp_path, fake_embedder):
    kb = small_kb(tmp_path, fake_embedder, {"cocoa.txt": "Cocoa cooperatives\n\nIn Côte d'Ivoire, cocoa cooperatives "
                                                          "train young farmers in pruning, grafting and safe use of pesticides."})
    passage = kb.search("Ivory Coast farmers", k=1, mode="keyword").hits[0].passages[0]
    marked = [passage.snippet[a:b] for a, b in passage.highlights]
    assert marked == ["Côte", "Ivoire", "farmers"]  # never the "d" of d'Ivoire


def test_an_english_questions_country_finds_a_document_in_another_language_by_keyword(corpus_kb):
    """A name is the same word in every language, but not the same token: a Spanish document's analysis makes
    "colombi" of "Colombia", an English question's "colombia"; the keyword search found no Colombian press release for
    "Colombia" (the only Colombian document in corpus/ is in Spanish)."""
    colombia = "press-releases/2023-09-colombia-contrato-de-aprendizaje-aprendices.html"
    result = corpus_kb.search("apprenticeships in Colombia", k=3, mode="keyword")
    assert colombia in [h.doc_id for h in result.hits]
    hit = next(h for h in result.hits if h.doc_id == colombia)
    assert any(p.snippet[a:b] == "Colombia" for p in hit.passages for a, b in p.highlights)
    french = corpus_kb.search("Sénégal", k=3, mode="keyword")  # the French release, its accents as typed
    assert french.hits[0].doc_id.startswith("press-releases/2024-02-senegal")


def test_an_english_questions_country_finds_a_document_that_names_it_in_its_own_language(tmp_path, fake_embedder):
    """The table's one-word names of a country in its other languages are looked for too: a Spanish document writes
    "España", never "Spain"."""
    kb = small_kb(tmp_path, fake_embedder, {
        "espana.txt": "La formación dual en las empresas\n\nEn España, las empresas que acogen aprendices firman un "
                      "contrato de formación con el centro educativo y con la persona aprendiz, que alterna el trabajo "
                      "con las clases.",
        "guide.txt": "Dual training in firms\n\nFirms that take on apprentices sign a training agreement with the "
                     "school and the apprentice, who alternates work and classes.",
        **{f"other{i}.txt": f"Guide {i}\n\nWorkers learn trade number {i} at work." for i in range(8)}})
    assert kb.reader().documents(["espana.txt"])["espana.txt"].language == "es"
    assert [h.doc_id for h in kb.search("firms in Spain", k=3, mode="keyword").hits][:1] == ["espana.txt"]
    assert read_question(kb.reader(), "Netherlands").countries == ("Netherlands", "Holland", "Nederland")


def test_a_document_tagged_with_the_questions_country_is_found_by_keyword(corpus_kb):
    """corpus/'s Italian guide to dual apprenticeship gives Italia in its metadata and never writes it; its words are
    Italian: "apprenticeships in Italy" found it neither by keyword nor by meaning (kb/search/tagged.py)."""
    italian = "skills-guides/apprendistato-duale-guida-per-le-imprese.md"
    assert corpus_kb.search("apprenticeships in Italy", k=3, mode="keyword").hits[0].doc_id == italian
    assert italian not in [h.doc_id for h in corpus_kb.search("apprenticeships", k=10, mode="keyword").hits]
