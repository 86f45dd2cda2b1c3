"""Loaders turn real files into clean text with provenance; bad files fail with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.errors import EmptyDocument, EncryptedDocument, LoadError, UnsupportedFile
from kb.ingest.html import load_html
from kb.ingest.loaders import held_warnings, loader_for
from kb.ingest.metadata import build_document, date_from_name, detect_language, normalise_date
from kb.ingest.pdf import load_pdf
from kb.ingest.text import decode_bytes, load_markdown, load_text
from tests.pdfs import add_page_labels, break_page, encrypt_pdf, make_image_only_pdf, make_pdf

PAGES = [
    "Apprenticeship toolkit\nA guide for small firms\nPrepared for employers and training providers.",
    "1. Introduction\nSmall firms train apprentices when the costs are shared with the state.\nThis toolkit shows how.",
    "2. Assessment\nApprentices are assessed by portfolio, observation at work and a final interview.\nAssessors are trained.",
    "3. Wages\nApprentices receive a training wage that rises as their skills grow.\nCollective agreements set the rates.",
]


def test_pdf_pages_are_numbered_from_one_and_keep_their_text(tmp_path):
    loaded = load_pdf(make_pdf(tmp_path / "t.pdf", PAGES, title="Apprenticeship toolkit for SMEs"))
    assert loaded.n_pages == 4
    assert loaded.title == "Apprenticeship toolkit for SMEs"
    assert loaded.metadata["date"] == "2021-03-14"
    by_page = {s.page: s for s in loaded.sections}
    assert "portfolio, observation" in by_page[3].text
    assert by_page[3].heading_path == ("2. Assessment",)
    assert all(s.page_label is None for s in loaded.sections), "no labels unless the PDF defines them"


def test_pdf_running_footer_and_page_numbers_are_removed(tmp_path):
    loaded = load_pdf(make_pdf(tmp_path / "t.pdf", PAGES))
    text = " ".join(s.text for s in loaded.sections)
    assert "Skills toolkit - page" not in text


def test_running_headers_that_alternate_between_pages_are_furniture_not_headings():
    """USDOL's reports head each page with three lines: the country, its assessment, and, on even pages, the page
    number and the bureau's name, on odd ones the page number and the report's name; each on half the pages. The
    bureau's line, read as a numbered heading, became the heading path of every passage."""
    from kb.ingest.pdf import _repeated_lines, _sections

    pages = []
    for n in range(1, 10):
        running = f"{n} BUREAU OF INTERNATIONAL LABOR AFFAIRS" if n % 2 == 0 else f"{n}2021 FINDINGS ON THE WORST FORMS OF CHILD LABOR"
        topic = ["fishing", "agriculture", "domestic work", "construction", "mining", "textiles", "street vending",
                 "tourism", "recycling"][n - 1]
        pages.append(["Thailand", "MODERATE ADVANCEMENT", running, f"Children work in {topic}.",
                      f"Inspectors visited {topic} sites in {n + 3} provinces.", f"Research on {topic} found gaps."])
    sections = _sections(pages, [], _repeated_lines(pages))
    assert not any(s.heading_path for s in sections)
    text = " ".join(s.text for s in sections)
    assert "BUREAU" not in text and "FINDINGS" not in text and "MODERATE ADVANCEMENT" not in text
    assert "Children work in construction." in text and "Research on tourism found gaps." in text


def test_a_table_of_contents_gives_no_headings():
    """'8. Checklist for RPL managers 6', the last entry of the RPL toolkit's contents, was read as a numbered heading and
    became the heading path of the page: 'p. 2 (ii) 8. Checklist for RPL managers 6'."""
    from kb.ingest.pdf import _sections

    contents = ["Contents", "1. Introduction 1", "2. Who benefits and when to use RPL 2", "3. The stages of an RPL process 3",
                "8. Checklist for RPL managers 6", "Recognition of Prior Learning - Toolkit ii"]
    body = ["1. Introduction", "Millions of workers have skills that no certificate shows.", "2. Who benefits",
            "Workers in the informal economy who learned on the job.", "The steps take 3 months in 2 cities"]
    sections = _sections([contents, body], [], set())
    assert [s.heading_path for s in sections if s.page == 1] == [()]
    assert {s.heading_path for s in sections if s.page == 2} == {("1. Introduction",), ("2. Who benefits",)}


def test_pdf_line_end_hyphen_of_a_compound_is_kept(tmp_path):
    # Most hyphens that end a line in labour-docs' PDFs belong to compounds ("non-governmental", "three-year"):
    # joining them wrote "nongovernmental", a word no question holds. The document's own words decide.
    pages = ["Child protection report\nThe programme works with non-\ngovernmental organizations on a three-\nyear plan."
             "\nSelf-employed women were reached.",
             "Support for self-\nemployed women and their cooperatives grew in every province.\nMore text follows here."]
    text = " ".join(s.text for s in load_pdf(make_pdf(tmp_path / "c.pdf", pages)).sections)
    assert "non-governmental organizations on a three-year plan" in text
    assert "for self-employed women" in text


def test_pdf_word_broken_by_a_hyphen_at_a_line_end_is_joined(tmp_path):
    # A justified, hyphenated layout breaks words: the ones printed whole elsewhere join, and so, in such a layout,
    # do the others.
    pages = ["Employment report\nPublic employ-\nment services reach infor-\nmal workers in rural districts.",
             "Employment and informal work: trans-\nformation of labour markets changes ev-\nerything we know.",
             "Read about the transformation in this employment report."]  # "everything" is never printed whole
    text = " ".join(s.text for s in load_pdf(make_pdf(tmp_path / "h.pdf", pages)).sections)
    assert "Public employment services reach informal workers" in text
    assert "transformation of labour markets changes everything" in text


def test_pdf_printed_page_labels_are_kept(tmp_path):
    path = add_page_labels(make_pdf(tmp_path / "t.pdf", PAGES), front_pages=2)
    labels = {s.page: s.page_label for s in load_pdf(path).sections}
    assert labels[1] == "i" and labels[2] == "ii"
    assert labels[3] == "1" and labels[4] == "2"


def test_pdf_title_falls_back_to_first_line(tmp_path):
    loaded = load_pdf(make_pdf(tmp_path / "t.pdf", PAGES, title=None))
    assert loaded.title == "Apprenticeship toolkit"


def test_pdf_title_is_the_largest_type_on_the_first_page(tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    pdf.multi_cell(180, 5, "Sample series No. 4")
    pdf.set_font("Helvetica", size=26)
    pdf.multi_cell(180, 12, "Skills for green jobs")
    pdf.set_font("Helvetica", size=10)
    pdf.multi_cell(180, 5, "A practical guide for training providers on the skills that the energy transition needs. " * 4)
    pdf.output(str(tmp_path / "g.pdf"))
    assert load_pdf(tmp_path / "g.pdf").title == "Skills for green jobs"


def test_pdf_title_from_the_first_line_is_not_the_running_header(tmp_path):
    # A producer's title ("Microsoft Word - draft3.docx") is no title, and no type stands out on page 1: the title
    # is page 1's first line, which here is the header printed on every page, not the document's name.
    path = make_pdf(tmp_path / "gb.pdf", PAGES, title="Microsoft Word - draft3.docx", header="ILO Governing Body 2021")
    loaded = load_pdf(path)
    assert loaded.title == "Apprenticeship toolkit"
    assert "Governing Body" not in " ".join(s.text for s in loaded.sections)


@pytest.mark.parametrize("producer_title", ["PowerPoint Presentation", "Microsoft PowerPoint - ILO_skills_v4.pptx",
                                            "Microsoft Word - draft3.docx", "budget_tables.xlsx"])
def test_pdf_title_a_producer_wrote_is_not_the_title(tmp_path, producer_title):
    # Slide decks saved as PDF carry "PowerPoint Presentation" as their title, as Word's carry "Microsoft Word - ...".
    loaded = load_pdf(make_pdf(tmp_path / "deck.pdf", PAGES, title=producer_title))
    assert loaded.title == "Apprenticeship toolkit"


def test_encrypted_pdf_with_empty_user_password_opens(tmp_path):
    path = encrypt_pdf(make_pdf(tmp_path / "t.pdf", PAGES), user_password="")
    assert "portfolio" in " ".join(s.text for s in load_pdf(path).sections)


def test_encrypted_pdf_with_password_is_reported(tmp_path):
    path = encrypt_pdf(make_pdf(tmp_path / "t.pdf", PAGES), user_password="secret")
    with pytest.raises(EncryptedDocument, match="password"):
        load_pdf(path)


def test_image_only_pdf_says_no_extractable_text(tmp_path):
    with pytest.raises(EmptyDocument, match="no extractable text"):
        load_pdf(make_image_only_pdf(tmp_path / "scan.pdf"))


@pytest.mark.parametrize("content", [b"%PDF-1.4\n garbage", b"\x00\x01\x02 not a pdf at all" * 50])
def test_corrupt_pdf_is_a_load_error(tmp_path, content):
    path = tmp_path / "bad.pdf"
    path.write_bytes(content)
    with pytest.raises(LoadError):
        load_pdf(path)


def test_pdf_with_one_unreadable_page_keeps_the_others(tmp_path):
    # One page whose content stream pypdf cannot parse failed the whole file: "not a readable PDF (PdfStreamError:
    # Stream has ended unexpectedly)". The other pages are read; the file's report names the page that was not.
    path = break_page(make_pdf(tmp_path / "t.pdf", PAGES), index=1)
    with held_warnings() as said:
        loaded = load_pdf(path)
    assert {s.page for s in loaded.sections} == {1, 3, 4} and loaded.n_pages == 4
    assert any("page 2 has no text" in s and "PdfStreamError" in s for s in said)
    for index in (0, 2, 3):
        break_page(path, index)
    with pytest.raises(LoadError, match="not a readable PDF"):  # no page left to read: the file's error
        load_pdf(path)


def test_truncated_pdf_is_a_load_error_or_partial_text(tmp_path):
    path = make_pdf(tmp_path / "t.pdf", PAGES)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    try:
        loaded = load_pdf(path)
    except LoadError:
        return
    assert all(s.text for s in loaded.sections)


HTML = """<!doctype html><html lang="en"><head><title>Skills news | ILO</title>
<meta name="description" content="A new skills partnership.">
<meta name="date" content="2023-06-16"><meta name="kb:type" content="press_release">
<meta name="kb:topics" content="apprenticeships, youth-employment">
<style>.nav{color:red}</style><script>var tracker = "analytics-secret";</script></head>
<body><header><nav><a href="/">Home</a> | <a href="/about">About the ILO</a> | <a href="/x">Newsroom menu</a></nav></header>
<div class="cookie">We use cookies to improve your experience. Accept all cookies.</div>
<main><article><h1>Partners launch skills programme</h1>
<p>Governments, employers and workers agreed on Monday to build apprenticeship systems that reach young women in rural areas.
The programme will run for four years and will train instructors in every participating country.</p>
<h2>What happens next</h2><p>Each country will set up a tripartite steering committee to choose the first trades and the training providers.</p>
</article></main>
<aside><h3>Related stories</h3><ul><li><a href="/a">Unrelated sidebar headline about fisheries</a></li></ul></aside>
<footer><p>Copyright International Labour Organization. Privacy policy. Terms of use.</p></footer>
<script>document.write("injected script text")</script></body></html>"""


def test_html_keeps_main_text_and_drops_page_furniture(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(HTML, encoding="utf-8")
    loaded = load_html(path)
    text = " ".join(s.text for s in loaded.sections)
    assert "young women in rural areas" in text
    assert "steering committee" in text
    for clutter in ("analytics-secret", "injected script", "Accept all cookies", "Privacy policy", "Newsroom menu",
                    "fisheries", "color:red"):
        assert clutter not in text
    assert loaded.title == "Partners launch skills programme"
    assert loaded.metadata["date"] == "2023-06-16"
    assert loaded.metadata["description"] == "A new skills partnership."
    assert loaded.metadata["language"] == "en"
    assert any(s.heading_path[-1:] == ("What happens next",) and "steering" in s.text for s in loaded.sections)


def test_html_in_windows_1252_without_charset_decodes(tmp_path):
    path = tmp_path / "legacy.html"
    body = "<html><body><main><h1>Caf\u00e9 workers\u2019 training</h1><p>" + "Training for caf\u00e9 and restaurant staff \u2013 a guide for employers. " * 5 + "</p></main></body></html>"
    path.write_bytes(body.encode("cp1252"))
    text = " ".join(s.text for s in load_html(path).sections)
    assert "café" in text and "\ufffd" not in text



def test_a_replacement_character_left_by_an_earlier_conversion_is_read_as_what_it_stood_for(tmp_path):
    """U+FFFD in a file (an earlier conversion's lost apostrophe or quote): the apostrophe before a possessive's or a
    contraction's ending, a space anywhere else; no snippet shows it."""
    path = tmp_path / "metadata.md"
    path.write_text("# Indicator\n\nNational Women\ufffds Machinery (NWMs). Does a woman\ufffds testimony count? It "
                    "doesn\ufffdt. CEDAW states: \ufffd... the term\ufffd in 2015\ufffd2020.\n", encoding="utf-8")
    text = " ".join(s.text for s in load_markdown(path).sections)
    assert "\ufffd" not in text
    assert "Women\u2019s Machinery" in text and "woman\u2019s testimony" in text and "doesn\u2019t" in text
    assert "states: ... the term in 2015 2020." in text


MARKDOWN = """---
title: Guide to inclusive apprenticeships
date: 2024-02-01
type: skills guide
topics: [apprenticeships, disability-inclusion]
countries: [Kenya]
---
# Guide to inclusive apprenticeships

Intro text about the guide.

## Recruitment

### Outreach
Reach disabled candidates through their own organisations.

## Workplace
Adapt the workstation. See [the toolkit](https://example.org/toolkit) and **ask** the apprentice.
"""


def test_markdown_front_matter_and_heading_paths(tmp_path):
    path = tmp_path / "guide.md"
    path.write_text(MARKDOWN, encoding="utf-8")
    loaded = load_markdown(path)
    assert loaded.title == "Guide to inclusive apprenticeships"
    paths = {s.heading_path: s.text for s in loaded.sections}
    assert paths[("Recruitment", "Outreach")].startswith("Reach disabled"), "the title heading is not part of the path"
    workplace = paths[("Workplace",)]
    assert "the toolkit" in workplace and "https://" not in workplace and "**" not in workplace
    doc = build_document(path, Path("skills-guides/guide.md"), loaded, "h", str(path))
    assert doc.type == "skills_guide" and doc.date == "2024-02-01" and doc.language == "en"
    assert doc.metadata["topics"] == ("apprenticeships", "disability-inclusion")


def test_markdown_headings_without_space_as_real_exports_write_them(tmp_path):
    path = tmp_path / "c.md"
    path.write_text("<meta charset='utf-8' />\n\n##Convention on leave\n\n### Article 1\n\nEvery seafarer shall be entitled to annual leave.\n", encoding="utf-8")
    loaded = load_markdown(path)
    assert loaded.title == "Convention on leave"
    assert loaded.sections[0].heading_path == ("Article 1",)
    assert "meta" not in loaded.sections[0].text


def test_markdown_with_broken_front_matter_is_reported(tmp_path):
    path = tmp_path / "broken.md"
    path.write_text("---\ntitle: [unclosed\ndate: 2020\n---\nBody text here.\n", encoding="utf-8")
    with pytest.raises(LoadError, match="front matter"):
        load_markdown(path)


def test_text_title_is_first_line_and_utf16_with_bom_decodes(tmp_path):
    path = tmp_path / "note.txt"
    path.write_bytes("Skills for rural youth\n\nA note on training in villages – with ü.".encode("utf-16"))
    loaded = load_text(path)
    assert loaded.title == "Skills for rural youth"
    assert "with ü" in loaded.sections[0].text


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_decodes(tmp_path, encoding):
    path = tmp_path / "note.txt"
    path.write_bytes("Formation au Sénégal\n\nLes apprentis apprennent un métier – et l’écrivent.".encode(encoding))
    loaded = load_text(path)
    assert loaded.title == "Formation au Sénégal" and "l’écrivent" in loaded.sections[0].text


def test_binary_junk_named_txt_is_refused(tmp_path):
    path = tmp_path / "junk.txt"
    path.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(LoadError):
        load_text(path)


def test_unknown_suffix_has_no_loader():
    with pytest.raises(UnsupportedFile):
        loader_for(Path("slides.pptx"))


def test_type_from_folder_and_date_from_name(tmp_path):
    folder = tmp_path / "press-releases"
    folder.mkdir()
    path = folder / "2022-10-05-launch.txt"
    path.write_text("Launch of a programme\n\nThe programme starts today in five countries.", encoding="utf-8")
    doc = build_document(path, Path("press-releases/2022-10-05-launch.txt"), load_text(path), "h", str(path))
    assert doc.type == "press_release"
    assert doc.date == "2022-10-05"
    assert date_from_name("2023-06-report.pdf") == "2023-06"
    assert normalise_date("16 June 2023") == "2023-06-16"


def test_sidecar_metadata_wins(tmp_path):
    path = tmp_path / "note.txt"
    path.write_text("A title\n\nSome text about skills anticipation in Viet Nam and elsewhere.", encoding="utf-8")
    (tmp_path / "note.meta.json").write_text('{"title": "Sidecar title", "type": "tool_report", "countries": ["Viet Nam"]}')
    doc = build_document(path, Path("note.txt"), load_text(path), "h", str(path))
    assert doc.title == "Sidecar title" and doc.type == "tool_report"
    assert doc.metadata["countries"] == ("VN",) and doc.metadata["regions"] == ("Asia and the Pacific",)


@pytest.mark.parametrize("language, text, encoding", [
    ("fr", "Café crème: formation professionnelle des jeunes au Sénégal. Les apprentis reçoivent un certificat.", "cp1252"),
    ("it", "La città è più bella; perché l'Università offre corsi di qualità.", "latin-1"),
    ("es", "¿Cómo mejorar la formación de los jóvenes en España? Niños y niñas aprendieron oficios.", "cp1252"),
    ("cs", "Příliš žluťoučký kůň úpěl ďábelské ódy. Česká republika podporuje odborné vzdělávání.", "cp1250"),
    ("ru", "Международная организация труда поддерживает профессиональное обучение молодежи.", "cp1251"),
    # read as GB18030 ("S閚間al"): each accented letter and the one after it a Chinese character
    ("fr", "Formation professionnelle au Sénégal\n\nLes jeunes apprentis du Sénégal suivent une formation duale.", "latin-1"),
    ("zh", "职业技能培训是提高劳动者素质的重要途径。", "gb18030"),  # a Chinese text keeps its own
])
def test_a_short_text_in_a_legacy_code_page_decodes_as_written(language, text, encoding):
    # A short French or Italian text reads as letters in several code pages ("crème" / "crčme"): the Western one wins
    # the tie, and a Czech or Russian text keeps its own.
    assert decode_bytes(text.encode(encoding)) == text


def test_ligatures_are_written_out_as_letters(tmp_path):
    # pypdf hands over a PDF's typographic ligatures as one character (32 in the Italian ILO PDFs of labour-docs:
    # "ﬁnanziaria", "efﬁcaci"): the model's vocabulary has none of them, and keyword and phrase search read them apart.
    path = tmp_path / "note.txt"
    path.write_text("The \ufb01rst report\n\nAn e\ufb03cient, \ufb02exible scheme o\ufb00ers bene\ufb01ts and sta\ufb00 a\ufb04uence.",
                    encoding="utf-8")
    loaded = load_text(path)
    assert loaded.title == "The first report"
    assert "An efficient, flexible scheme offers benefits and staff affluence." in loaded.sections[0].text


def test_markdown_backslash_escapes_are_read_as_the_characters_they_escape(tmp_path):
    # UN gender-indicator metadata (labour-docs: 802 escapes in 54 files) writes "\(aged 15-24\)"; trafilatura's
    # Markdown for an HTML page writes "EMP\_TEMP\_SEX" and "\*": the backslashes reached the passages.
    md = tmp_path / "meta.md"
    md.write_text("# Youth \\(15\\-24\\) NEET rate\n\nShare of youth \\(aged 15-24\\) not in employment; see "
                  "EMP\\_TEMP\\_SEX and note \\[1\\]. Rates marked \\*provisional\\* are estimates.\n", encoding="utf-8")
    loaded = load_markdown(md)
    assert loaded.title == "Youth (15-24) NEET rate"
    assert loaded.sections[0].text == ("Share of youth (aged 15-24) not in employment; see EMP_TEMP_SEX and note [1]. "
                                       "Rates marked *provisional* are estimates.")
    page = tmp_path / "page.html"
    page.write_text("<html><body><main><h1>Indicator notes</h1><p>The indicator EMP_TEMP_SEX_AGE_NB counts employed "
                    "persons by sex and age; rates marked * are provisional in every country's series.</p></main></body></html>",
                    encoding="utf-8")
    text = load_html(page).sections[0].text
    assert "EMP_TEMP_SEX_AGE_NB" in text and "marked * are" in text and "\\" not in text


@pytest.mark.parametrize("language, text", [
    ("zh", "国际劳工组织致力于促进体面劳动，保护工人权利，加强社会对话。各成员国政府、雇主和工人共同制定劳工标准。"),
    ("ja", "国際労働機関は働きがいのある人間らしい仕事を推進しています。政府、使用者、労働者が協力して基準を定めます。"),
    ("th", "องค์การแรงงานระหว่างประเทศส่งเสริมงานที่มีคุณค่าสำหรับทุกคนและคุ้มครองสิทธิของแรงงาน"),
])
def test_language_of_a_text_written_without_spaces_is_detected(tmp_path, language, text):
    # A Chinese page is one or two "words" to str.split: it was always "too short to tell", language None.
    path = tmp_path / "note.txt"
    path.write_text(text, encoding="utf-8")
    assert build_document(path, Path("note.txt"), load_text(path), "h", str(path)).language == language


def test_html_skip_link_is_not_a_passage(tmp_path):
    # ilostat_html/docs__news__index.html (labour-docs), a changelog of short items, begins with one: trafilatura
    # kept it, and it became a chunk of its own, "Skip to contents".
    items = "".join(f'<div class="section"><h2 id="r{n}">Release 2.{n}.0<a href="#r{n}"></a></h2>'
                    f"<ul><li>faster bulk download, round {n}</li></ul></div>" for n in range(5))
    path = tmp_path / "news.html"
    path.write_text('<html><head><title>Changelog</title></head><body><a href="#main" class="visually-hidden-focusable">'
                    'Skip to contents</a><nav class="navbar"><div><a href="../index.html">Rilostat</a></div></nav>'
                    '<div class="container"><div class="row"><main id="main"><div class="page-header"><h1>Changelog</h1>'
                    f"</div>{items}</main></div></div></body></html>", encoding="utf-8")
    text = " ".join(s.text for s in load_html(path).sections)
    assert "Skip to" not in text and "faster bulk download, round 4" in text


def test_markdown_front_matter_with_an_impossible_date_still_loads(tmp_path):
    # YAML reads "2020-02-30" as a date and PyYAML raises ValueError: the whole file failed ("day is out of range
    # for month"), for one typo in its metadata. Dates now stay text, and an unreadable one is no date.
    path = tmp_path / "2019-07-notes.md"
    path.write_text("---\ntitle: Domestic workers\ndate: 2020-02-30\nreviewed: 2021-05-03\n---\n\n"
                    "Domestic workers are entitled to a weekly rest of at least 24 consecutive hours.\n", encoding="utf-8")
    loaded = load_markdown(path)
    doc = build_document(path, Path(path.name), loaded, "h", str(path))
    assert doc.title == "Domestic workers" and doc.date == "2019-07"  # the date the file's name gives
    assert doc.metadata["reviewed"] == ("2021-05-03",)
    good = tmp_path / "good.md"
    good.write_text("---\ntitle: Rest\ndate: 2021-05-03 10:30:00\n---\n\nA weekly rest of 24 hours.\n", encoding="utf-8")
    assert build_document(good, Path("good.md"), load_markdown(good), "h", str(good)).date == "2021-05-03"


def test_markdown_with_classic_mac_line_endings_keeps_its_headings(tmp_path):
    # Lines ended by a lone CR (classic Mac OS, some old exports) made the whole file one line, read as one heading:
    # "the Markdown file holds no text under its headings".
    path = tmp_path / "mac.md"
    path.write_bytes(b"---\rtitle: Green skills\r---\r# Green skills\r\rSkills for the green transition in Africa.\r\r"
                     b"## Apprentices\r\rMore apprentices in solar installation.\r")
    loaded = load_markdown(path)
    assert loaded.title == "Green skills"
    assert [(s.heading_path, s.text) for s in loaded.sections] == [
        ((), "Skills for the green transition in Africa."), (("Apprentices",), "More apprentices in solar installation.")]


@pytest.mark.parametrize("text, language", [
    ("Upper case suffix\n\nApprentices in Peru.", "en"),  # py3langid: Latin, at 0.52
    ("Formação profissional para jovens no Brasil e em Moçambique com apoio da OIT.", "pt"),  # sure: kept
    ("Berufsbildung für junge Menschen in Deutschland und Österreich.", "de"),
    ("Apprentices", None),  # too short to tell
])
def test_a_short_texts_language_is_one_kb_analyses_unless_the_detector_is_sure(text, language):
    assert detect_language(text) == language
