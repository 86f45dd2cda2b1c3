"""A document is not titled with its letterhead ("INTERNATIONAL LABOUR CONFERENCE", "BUREAU OF INTERNATIONAL LABOR
AFFAIRS") nor with a title that names nothing ("U", "Page 1 of 7"): the first line of its text that names it is its
title, as in the labour-docs conventions and USDOL leaflets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb.ingest.loaders import loader_for
from kb.ingest.metadata import build_document
from kb.ingest.pdf import load_pdf
from kb.ingest.titles import is_letterhead, names_nothing, opaque_name, title_from_text
from kb.records import Section
from tests.pdfs import make_pdf

PREAMBLE = ("The General Conference of the International Labour Organisation, Having been convened at Geneva by the "
            "Governing Body of the International Labour Office, and having met in its Thirtieth Session on 19 June 1947, "
            "adopts the following Convention.")


def _title(tmp_path: Path, name: str, text: str, sidecar: dict | None = None) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    if sidecar is not None:
        (tmp_path / f"{path.stem}.meta.json").write_text(json.dumps(sidecar), encoding="utf-8")
    return build_document(path, Path(name), loader_for(path)(path), "hash", "src").title


@pytest.mark.parametrize("name", ["INTERNATIONAL LABOUR CONFERENCE", "League of Nations.", "ILO", "International Labour Office",
                                  "ORGANISATION INTERNATIONALE DU TRAVAIL", "Organización Internacional del Trabajo",
                                  "Conferenza Internazionale del Lavoro", "INTERNATIONALE ARBEIDSCONFERENTIE.",
                                  "BUREAU OF INTERNATIONAL LABOR AFFAIRS", "U.S. Department of Labor",
                                  "Office of Child Labor, Forced Labor, and Human Trafficking",
                                  "Ministry of Labour and Social Protection"])
def test_an_organisations_name_alone_is_a_letterhead(name):
    assert is_letterhead(name)


@pytest.mark.parametrize("name", ["International Labour Conference: report of the Director-General", "ILO toolkit",
                                  "Skills for green jobs", "", "Office of the Director-General: Programme and Budget",
                                  "Bureau of Labor Statistics Annual Report", "Office for official publications",
                                  "Department of Labor Bureau of International Labor Affairs", "Office of the",
                                  "Office of Child Labor FREQUENTLY ASKED QUESTIONS"])
def test_a_title_that_says_more_is_not(name):
    assert not is_letterhead(name)


@pytest.mark.parametrize("title", ["U", "1", "Page 1 of 7", "- 2 -", "xiv", "p. 12", "Microsoft Word - draft.docx",
                                   "untitled", "Document1", "draft.docx", "No. 5"])
def test_a_title_too_short_or_of_page_furniture_names_nothing(title):
    assert names_nothing(title)


@pytest.mark.parametrize("title", ["Civil", "Fact Sheet", "ILO toolkit", "Convention 182", "Page layout guide"])
def test_a_short_title_with_a_word_names_something(title):
    assert not names_nothing(title)


def test_a_leaflet_titled_u_with_a_page_header_and_office_letterheads_is_titled_by_what_it_is(tmp_path):
    # As usdol TVPRA.pdf: metadata title "U", then "Page 1 of 11" and three offices' names above the title.
    leaflet = ["Page 1 of 11\nU.S. Department of Labor\nBureau of International Labor Affairs\n"
               "Office of Child Labor, Forced Labor, and Human Trafficking\nFREQUENTLY ASKED QUESTIONS:\n\n"
               "Trafficking Victims Protection Reauthorization Act (TVPRA) of 2005\nList of Goods Produced by Forced Labor.\n"
               "1. What is the List of Goods? The list names goods produced by child labor or forced labor in violation "
               "of international standards.", "Page 2 of 11\nMore questions and their answers."]
    path = make_pdf(tmp_path / "TVPRA.pdf", leaflet, title="U", footer=None)
    title = build_document(path, Path("TVPRA.pdf"), load_pdf(path), "hash", "src").title
    assert title == ("FREQUENTLY ASKED QUESTIONS: Trafficking Victims Protection Reauthorization Act (TVPRA) of 2005 "
                     "List of Goods Produced by Forced Labor")
    toolkit = ["46\nBUREAU OF INTERNATIONAL LABOR AFFAIRS\nReducing Child Labor and Forced Labor:\n"
               "DOL's Toolkit for Responsible Businesses 1.\n2.\nStakeholder Engagement", "A second page of text."]
    path = make_pdf(tmp_path / "toolkit.pdf", toolkit, footer=None)
    assert (build_document(path, Path("toolkit.pdf"), load_pdf(path), "hash", "src").title
            == "Reducing Child Labor and Forced Labor: DOL's Toolkit for Responsible Businesses")


def test_an_italian_letterhead_gives_way_to_the_declaration_it_heads(tmp_path):
    text = ("Conferenza Internazionale del Lavoro\n\nDichiarazione del Centenario dell'OIL per il Futuro del Lavoro\n\n"
            "Ginevra, 21 giugno 2019\n\nLa Conferenza Internazionale del Lavoro, riunita a Ginevra, adotta questa dichiarazione.\n")
    assert _title(tmp_path, "dichiarazione.txt", text) == "Dichiarazione del Centenario dell'OIL per il Futuro del Lavoro"


def test_a_title_that_names_nothing_gives_way_to_the_files_name_when_the_text_offers_none_but_one_given_is_kept(tmp_path):
    body = "U\n\n" + "word " * 60 + "and so on without a stop\n"
    assert _title(tmp_path, "tvpra-faq.txt", body) == "Tvpra faq"
    assert _title(tmp_path, "given.txt", body, sidecar={"title": "U"}) == "U"


@pytest.mark.parametrize(("stem", "opaque"), [("III_10__Ic5db0b34__metadata", True), ("scan0001", True), ("report", True),
                                             ("IV_2__I836a1d80__S37241f88", True), ("tvpra-faq", False), ("Kenya_TVET", False),
                                             ("2020-12-ilo-norway-partnership-launches-gpsl3", False)])
def test_a_files_name_of_codes_is_opaque(stem, opaque):
    assert opaque_name(stem) is opaque


# A UN indicator's metadata sheet, as the labour-docs hold 45: no title, a contact section first, headings that name
# sections of every sheet alike, and a file name of codes.
METADATA_SHEET = """## Contact point in international agency

**Name**: Sara Hertog
**Agency**: Population Division [hertog@un.org](mailto:hertog@un.org)

---

## International agreed definition

The average number of remaining years of life expected by a hypothetical cohort of _males or females_ alive at age 60 who
would be subject to the mortality rates of a given period. It is expressed in years.

---

## Method of computation

Life tables.
"""


def test_a_sheet_named_by_codes_is_titled_by_its_first_sentence_of_prose_cut_short(tmp_path):
    title = _title(tmp_path, "III_10__Ic5db0b34__metadata.md", METADATA_SHEET)
    assert title.startswith("The average number of remaining years of life expected by a hypothetical cohort of males or")
    assert title.endswith("…") and len(title) <= 121 and "_" not in title


def test_a_run_in_label_is_no_part_of_a_title_from_prose(tmp_path):
    definition = ("**Definition** Proportion of women aged 20-24 years who were married before age 18 **Concepts** "
                  "Marriage is a union. It is measured in surveys.")
    sheet = METADATA_SHEET.replace(METADATA_SHEET[METADATA_SHEET.index("The average"):METADATA_SHEET.index("---\n\n## Method")],
                                   definition + "\n\n")
    assert _title(tmp_path, "III_4__I7d1e2f3a__metadata.md", sheet) == (
        "Proportion of women aged 20-24 years who were married before age 18")


def test_a_sheets_empty_sections_in_one_language_are_not_a_bilingual_title(tmp_path):
    """Empty sections in a row are no title in two languages: the contact heading does not title the sheet."""
    sheet = METADATA_SHEET.replace("**Name**: Sara Hertog\n**Agency**: Population Division [hertog@un.org](mailto:hertog@un.org)\n", "")
    assert _title(tmp_path, "III_7__I555b0f6a__metadata.md", sheet).startswith("The average number of remaining years")


def test_a_files_name_that_says_something_is_kept_over_prose(tmp_path):
    assert _title(tmp_path, "life-expectancy-at-60.md", METADATA_SHEET) == "Life expectancy at 60"


def test_a_conventions_banner_gives_way_to_the_line_that_names_it(tmp_path):
    text = ("##Verdrag betreffende de arbeidsinspectie in de industrie en de handel\n\n#### INTERNATIONAL LABOUR CONFERENCE\n\n"
            f"Convention (No. 81) concerning labour inspection in industry and commerce\n\n{PREAMBLE}\n\n"
            "### Article 1\n\nEach Member shall maintain a system of labour inspection in industrial workplaces.\n")
    assert _title(tmp_path, "c081.md", text) == "Convention (No. 81) concerning labour inspection in industry and commerce"


def test_a_title_run_on_into_the_preamble_or_a_sentence_is_cut_where_it_ends(tmp_path):
    glued = ("##Verdrag betreffende het merken van zware colli\n\n####LEAGUE OF NATIONS\n\n*INTERNATIONAL LABOUR CONFERENCE*\n\n"
             "*Convention concerning the marking of the weight on heavy packages transported by vessels.*"
             f"{PREAMBLE}\n\n###Article 1\n\nAny package of one thousand kilograms or more shall have its weight marked.\n")
    assert _title(tmp_path, "c027.md", glued) == "Convention concerning the marking of the weight on heavy packages transported by vessels"
    no_stop = ("# INTERNATIONAL LABOUR CONFERENCE\n\nConvention concerning the repatriation of seamen "
               f"{PREAMBLE}\n\n### Article 1\n\nSeamen landed abroad are entitled to be taken back to their country.\n")
    assert _title(tmp_path, "c023.md", no_stop) == "Convention concerning the repatriation of seamen"


def test_a_numbers_label_stays_in_front_of_the_name(tmp_path):
    text = ("# INTERNATIONAL LABOUR CONFERENCE\n\nCONVENTION 95\n\n*Convention concerning the Protection of Wages*  "
            f"{PREAMBLE}\n\n### Article 1\n\nIn this Convention the term wages means remuneration or earnings.\n")
    assert _title(tmp_path, "c095.md", text) == "CONVENTION 95: Convention concerning the Protection of Wages"


def test_a_text_files_letterhead_line_gives_way_too(tmp_path):
    text = ("INTERNATIONAL LABOUR OFFICE\n\nSkills for green jobs: a global view\n\n"
            "Countries that plan their skills for the green transition find jobs for more of their workers.\n")
    assert _title(tmp_path, "green.txt", text) == "Skills for green jobs: a global view"


def test_a_letterhead_stays_when_the_text_offers_no_title_and_one_given_is_kept(tmp_path):
    long_first = "# INTERNATIONAL LABOUR CONFERENCE\n\n" + "word " * 60 + "and so on without a stop\n"
    assert _title(tmp_path, "plain.md", long_first) == "INTERNATIONAL LABOUR CONFERENCE"
    given = "# INTERNATIONAL LABOUR CONFERENCE\n\nConvention concerning the protection of wages\n\nText of it.\n"
    assert _title(tmp_path, "given.md", given, sidecar={"title": "ILO"}) == "ILO"


def test_the_text_is_read_only_as_far_as_its_first_lines():
    sections = [Section(text="INTERNATIONAL LABOUR OFFICE\n\nGENEVA 1999"), Section(text="A report on apprenticeship systems.")]
    assert title_from_text(sections) == "GENEVA 1999: A report on apprenticeship systems"
    assert title_from_text([Section(text="CONVENTION 95"), Section(text="x" * 300)]) == "CONVENTION 95"  # no name after it
    assert title_from_text([Section(text="12345"), Section(text="67890")]) is None  # nor a word in it
    assert title_from_text([Section(text="No. 5 .")]) is None


def test_a_pdf_page_run_on_one_line_loses_its_letterheads_and_keeps_its_letterhead_title_when_nothing_fits(tmp_path):
    convention = ["INTERNATIONAL LABOUR CONFERENCE\nConvention 182\nCONVENTION CONCERNING THE WORST FORMS OF CHILD LABOUR\n"
                  "The General Conference of the International Labour Organization, Having been convened at Geneva",
                  "Article 1. Each Member which ratifies this Convention shall take immediate and effective measures."]
    path = make_pdf(tmp_path / "c182.pdf", convention, title="International Labour Office")
    title = build_document(path, Path("c182.pdf"), load_pdf(path), "hash", "src").title
    assert title == "Convention 182 CONVENTION CONCERNING THE WORST FORMS OF CHILD LABOUR"
    report = ["INTERNATIONAL LABOUR OFFICE\nGoverning Body\nGB.340/INS/5\nFifth item on the agenda\n" + "A long line of text " * 12,
              "Second page: apprenticeships."]
    path = make_pdf(tmp_path / "gb.pdf", report, title="International Labour Office")
    assert build_document(path, Path("gb.pdf"), load_pdf(path), "hash", "src").title == "International Labour Office"


def test_a_kb_that_reads_files_otherwise_reads_them_all_again_and_embeds_only_what_changed(tmp_path, embedder, monkeypatch):
    import kb.ingest.discover as discover
    import kb.ingest.metadata as metadata
    from kb import KnowledgeBase, Settings

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "c081.md").write_text("# INTERNATIONAL LABOUR CONFERENCE\n\nConvention (No. 81) concerning labour inspection\n\n"
                                  "Each Member shall maintain a system of labour inspection in industrial workplaces.\n", encoding="utf-8")
    (docs / "note.txt").write_text("Apprenticeships in Kenya\n\nSmall firms train apprentices with the state's help.\n", encoding="utf-8")
    kb = KnowledgeBase(Settings(index_dir=tmp_path / "index"), embedder=embedder)
    with monkeypatch.context() as old:  # a kb from before letterhead titles
        old.setattr(metadata, "naming_title", lambda title, *rest: title)
        old.setattr(discover, "READING", b"kb-reading-1")
        first = kb.ingest([docs])
    assert kb.document("c081.md").title == "INTERNATIONAL LABOUR CONFERENCE"
    again = kb.ingest([docs])  # this kb reads files otherwise: every file again, only the re-titled one embedded
    assert set(again.updated) == {"c081.md", "note.txt"} and not again.failed
    assert kb.document("c081.md").title == "Convention (No. 81) concerning labour inspection"
    assert again.chunks_embedded == len(kb.reader().chunks_of("c081.md")) and first.chunks_embedded > again.chunks_embedded
    assert kb.ingest([docs]).chunks_embedded == 0 and not kb.ingest([docs]).updated
