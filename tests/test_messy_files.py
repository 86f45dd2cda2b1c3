"""Files as intranet and website exports hold them (a sweep of HTML, Markdown and text): each gets its text, title,
date and language, or fails alone with a message that says why."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.errors import EmptyDocument, LoadError
from kb.ingest.dates import date_of_line
from kb.ingest.html import load_html
from kb.ingest.metadata import build_document
from kb.ingest.text import load_markdown, load_text
from kb.ingest.titles import names_nothing

PARAGRAPHS = """<p>The ILO and the European Union launched a programme to strengthen skills anticipation systems in five
countries of the Western Balkans, with a budget of 6 million euros over four years.</p>
<p>The programme will help labour market observatories produce regular forecasts of skills demand and share them with
training providers and career guidance services.</p>
<p>Employers' organizations will run annual surveys of hiring difficulties, and trade unions will take part in the
steering committees that decide on training priorities.</p>"""

FRENCH = """<p>Le programme offre des formations de trois à six mois dans les métiers de la construction, de la
transformation agroalimentaire et de la réparation de téléphones portables.</p>
<p>Plus de deux mille jeunes ont été formés depuis le lancement du programme, dont quarante pour cent de jeunes femmes,
et la plupart ont trouvé un emploi ou créé leur activité dans les six mois.</p>"""


def _html(tmp_path: Path, html: str, name: str = "page.html") -> Path:
    path = tmp_path / name
    path.write_text(html, encoding="utf-8")
    return path


def _document(path: Path, loaded):
    return build_document(path, Path(path.name), loaded, "h", str(path))


def test_xhtml_with_an_xml_declaration_is_read(tmp_path):
    path = _html(tmp_path, '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
                 '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n<html xmlns="http://www.w3.org/1999/xhtml" lang="en">'
                 f"<head><title>Skills</title></head><body><h1>Skills anticipation</h1>{PARAGRAPHS}</body></html>", "page.xhtml")
    loaded = load_html(path)
    assert loaded.title == "Skills anticipation" and "Western Balkans" in loaded.sections[0].text


def test_a_heading_in_the_main_text_titles_a_page_whose_title_is_the_site_and_whose_date_line_comes_first(tmp_path):
    path = _html(tmp_path, "<html><head><title>International Labour Organization</title></head><body>"
                 "<nav><a href='/'>Home</a> <a href='/topics'>Topics</a></nav><div class='content'>"
                 f"<h2>Skills anticipation in the Western Balkans</h2><p>Published 3 March 2021</p>{PARAGRAPHS}</div></body></html>")
    loaded = load_html(path)
    assert loaded.title == "Skills anticipation in the Western Balkans"
    assert _document(path, loaded).title == "Skills anticipation in the Western Balkans"
    assert _document(path, loaded).date == "2021-03-03"


def test_a_logo_in_the_h1_does_not_title_the_page(tmp_path):
    path = _html(tmp_path, "<html lang='en'><head><title>Tracer study 2023 | ILO Jakarta</title></head><body><header>"
                 "<h1 class='logo'><a href='/'>International Labour Organization</a></h1></header>"
                 f"<main><h2>Tracer study results 2023</h2>{PARAGRAPHS}</main></body></html>")
    assert load_html(path).title == "Tracer study results 2023"


@pytest.mark.parametrize(("page_title", "expected"), [
    ("Skills anticipation in the Western Balkans - ILO", "Skills anticipation in the Western Balkans"),
    ("Newsletter | Skills Branch | ILO Newsroom", "Newsletter | Skills Branch"),
])
def test_the_site_name_is_cut_from_a_title_tag_that_is_all_a_page_has(tmp_path, page_title, expected):
    path = _html(tmp_path, f"<html lang='en'><head><title>{page_title}</title></head><body><main>{PARAGRAPHS}</main></body></html>")
    assert load_html(path).title == expected


def test_a_title_tag_that_names_only_the_site_gives_way_to_the_file_name(tmp_path):
    path = _html(tmp_path, f"<html lang='en'><head><title>ILO | Home</title></head><body><main>{PARAGRAPHS}</main></body></html>",
                 "western-balkans-skills.html")
    loaded = load_html(path)
    assert _document(path, loaded).title == "Western balkans skills"


def test_a_page_dated_only_by_schema_org_or_a_line_of_its_text_gets_that_date(tmp_path):
    json_ld = _html(tmp_path, '<html lang="en"><head><script type="application/ld+json">{"@context": "https://schema.org", '
                    '"@type": "NewsArticle", "datePublished": "2023-11-07"}</script></head>'
                    f"<body><article><h1>Green skills</h1>{PARAGRAPHS}</article></body></html>", "a.html")
    assert _document(json_ld, load_html(json_ld)).date == "2023-11-07"
    line = _html(tmp_path, "<html lang='es'><body><main><h1>Formación dual en México</h1><p>Publicado el 5 de abril de 2022</p>"
                 "<p>El modelo mexicano de formación dual combina el aprendizaje en la escuela con la práctica en la empresa "
                 "durante al menos la mitad del programa, y sus egresados encuentran empleo más rápido.</p></main></body></html>", "b.html")
    assert _document(line, load_html(line)).date == "2022-04-05"


@pytest.mark.parametrize(("line", "date"), [
    ("Published 3 March 2021", "2021-03-03"), ("Publié le 12 octobre 2022", "2022-10-12"), ("June 16, 2023", "2023-06-16"),
    ("Last updated on 1st Feb. 2020", "2020-02-01"), ("Date: 2024-01-15", "2024-01-15"),
    ("Kathmandu, 14 July 2021", "2021-07-14"), ("31 February 2020", None), ("Tracer study results 2023", None),
    ("Issue 12, March 2022", None), ("20 participants 2023", None),
])
def test_a_line_that_is_only_a_date_is_read_and_names_nothing(line, date):
    assert date_of_line(line) == date
    assert names_nothing(line) == (date is not None)


def test_a_template_lang_attribute_does_not_outweigh_the_text(tmp_path):
    french = _html(tmp_path, f"<html lang='en'><body><main><h1>Sénégal : des formations courtes</h1>{FRENCH}</main></body></html>")
    assert _document(french, load_html(french)).language == "fr"
    english = _html(tmp_path, f"<html lang='en'><body><main><h1>Skills</h1>{PARAGRAPHS}</main></body></html>", "en.html")
    assert load_html(english).metadata["language"] == "en"


@pytest.mark.parametrize(("body", "says"), [
    ("<h1>Wage dashboard</h1><iframe src='https://ilostat.example/dashboard'></iframe>", "iframe"),
    ("<div id='root'></div><noscript>You need to enable JavaScript to run this app.</noscript><script>render()</script>", "JavaScript"),
])
def test_a_page_whose_text_is_elsewhere_fails_saying_where(tmp_path, body, says):
    path = _html(tmp_path, f"<html lang='en'><head><title>Dashboard</title></head><body>{body}</body></html>")
    with pytest.raises(EmptyDocument, match=says):
        load_html(path)


def test_a_title_never_closed_is_named_as_the_reason_a_page_is_empty(tmp_path):
    path = _html(tmp_path, f"<html><head><title>Young workers<body><h1>Safety</h1>{PARAGRAPHS}</html>")
    with pytest.raises(EmptyDocument, match="never closed"):
        load_html(path)


@pytest.mark.parametrize("markdown", [
    "Skills foresight workshops\n==========================\n\nA workshop explores how skills needs may change.\n\n"
    "Preparation\n-----------\n\nSend a background paper two weeks before.\n",
    "# Skills foresight workshops\n\nRun the tool:\n\n```bash\n# install the tool\npip install foresight\n```\n\n"
    "## Preparation\n\nSend a background paper two weeks before.\n",
])
def test_a_markdown_title_is_found_in_setext_form_and_past_comments_in_code(tmp_path, markdown):
    path = tmp_path / "workshops.md"
    path.write_text(markdown, encoding="utf-8")
    loaded = load_markdown(path)
    assert loaded.title == "Skills foresight workshops"
    assert loaded.sections[-1].heading_path == ("Preparation",)


def test_toml_front_matter_is_metadata_not_text(tmp_path):
    path = tmp_path / "blended.md"
    path.write_text('+++\ntitle = "Designing blended learning for TVET"\ndate = 2021-02-11\ntags = ["digital"]\n+++\n\n'
                    "Blended learning combines online theory with practical sessions in workshops.\n", encoding="utf-8")
    loaded = load_markdown(path)
    doc = _document(path, loaded)
    assert doc.title == "Designing blended learning for TVET" and doc.date == "2021-02-11"
    assert "+++" not in loaded.sections[0].text and "title =" not in loaded.sections[0].text
    path.write_text('+++\ntitle = "unclosed\n+++\nText.\n', encoding="utf-8")
    with pytest.raises(LoadError, match="TOML"):
        load_markdown(path)


def test_markdown_footnote_marks_are_not_text(tmp_path):
    path = tmp_path / "wages.md"
    path.write_text("# Apprentice wages\n\nWages are a share of the skilled wage.[^1] They rise each year.[^note]\n\n"
                    "[^1]: ILO, Quality apprenticeships toolkit, 2017.\n[^note]: Employer surveys.\n", encoding="utf-8")
    text = load_markdown(path).sections[0].text
    assert "[^" not in text and "skilled wage. They rise" in text and "ILO, Quality apprenticeships toolkit" in text


def test_a_text_file_is_dated_by_its_dateline(tmp_path):
    path = tmp_path / "forum.txt"
    path.write_text("SOCIAL DIALOGUE AND TVET\n\nGeneva, 14 May 2024\n\nEmployers and unions called for a stronger role "
                    "in running vocational training.\n", encoding="utf-8")
    assert _document(path, load_text(path)).date == "2024-05-14"


def test_inline_html_in_markdown_leaves_no_space_before_punctuation(tmp_path):
    path = tmp_path / "note.md"
    path.write_text('# Inclusive apprenticeships\n\n<p><strong>Note:</strong> part of the <a href="/t">Quality Apprenticeships '
                    "Toolkit</a>.</p>\n\nApprenticeships can be made accessible through <em>reasonable accommodation</em>.\n",
                    encoding="utf-8")
    text = load_markdown(path).sections[0].text
    assert "Quality Apprenticeships Toolkit." in text and "through reasonable accommodation." in text and "<" not in text
