"""Back matter (reference lists, endnotes, bibliographies, source notes, an index) is told from a chunk's text and
shown as a passage only when its document has nothing better. Texts as PDFs extract them: the labour-docs ones
are copied from the US Department of Labor country reports and the UN SDG metadata in that set."""

from __future__ import annotations

import pytest

from kb.records import Chunk
from kb.search import grouping
from kb.search.backmatter import is_back_matter
from kb.search.grouping import PASSAGE_POOL, DocCandidate

# Ghana 2021, page 10: the reference list the issue was noticed on.
USDOL_REFERENCES = (
    "92021 FINDINGS ON THE WORST FORMS OF CHILD LABOR REFERENCES 1 U.S. Embassy- Accra. Reporting. January 14, 2020. "
    "2 U.S. Department of State. Reporting. February 25, 2021. 3 U.S. Embassy- Accra. Reporting. February 23, 2022 "
    "4 NORC at the University of Chicago. Assessing Progress in Reducing Child Labor in Cocoa Growing Areas of Côte "
    "d’Ivoire and Ghana. October 2020. Source on File. 5 UNESCO Institute for Statistics. Gross intake ratio to the "
    "last grade of primary education, both sexes (%). Accessed March 3, 2022. For more information, please see "
    "\"Children's Work and Education Statistics: Sources and Definitions\" in the Reference Materials section of this "
    "report. http://data.uis.unesco.org/ 6 ILO.")
# The middle of a list: no heading, entries that run on from the last chunk.
USDOL_LIST_MIDDLE = (
    "CBS News meets kids caught in the net of modern slavery. CBS Interactive Inc. October 12, 2021. "
    "https://www.yahoo.com/now/cbs-news-meets-kids-caught-135117103.html 15 Government of the Republic of Ghana. "
    "Ghana Living Standards Survey Round 6 (GLSS6) Main Report.August 2014. https://www2.statsghana.gov.gh/glss6.html "
    "16 U.S. Embassy- Accra. Reporting, February 5, 2019. 17 Wemakor, Joseph Kobla. Ending woes of Kayayei in Ghana: "
    "A fight we must all strive to win. GhanaWeb, July 11, 2018.")
VENEZUELA_NOTES = (
    "24. G onzalez Montiel, N. “Sin trabajo infantil habrá mejor futuro.” contrapunto.com [online] June 9, 2016 "
    "[cited October 29, 2016]; http://contrapunto.com/noticia/ prevenir-el-trabajo-infantil-en-venezuela/. 25. S ilva, "
    "JM. “Contra el trabajo infantil en Venezuela.” elestimulo.com [online] June 15, 2016 [cited October 29, 2016]; "
    "http://elestimulo.com/climax/contra-eltrabajo-infantil-en-venezuela/. 26. F ernando Blanco, Henry Moncrieff.")
SDG_SOURCE = ("Data and metadata were extracted from ILOSTAT Database on 21 May 2021. For more information, please go to "
              "the following: https://ilostat.ilo.org/data/ https://ilostat.ilo.org/resources/concepts-and-definitions/"
              "description-labour-force-participation-rate/")
BIBLIOGRAPHY = ("Bibliography Chen, M.; Carré, F. (eds.). 2020. The informal economy revisited: Examining the past, "
                "envisioning the future (Abingdon, Routledge). ILO. 2018. Women and men in the informal economy: A "
                "statistical picture, third edition (Geneva). Kucera, D.; Roncolato, L. 2008. \"Informal employment: "
                "Two contested policy issues\", in International Labour Review, Vol. 147, No. 4, pp. 321–348.")
FRENCH = ("Références bibliographiques BIT (2018). Femmes et hommes dans l’économie informelle : un panorama "
          "statistique, troisième édition. Genève : Bureau international du Travail. Disponible sur : "
          "https://www.ilo.org/global/publications/books/WCMS_734075 OIT (2021). Emploi et questions sociales dans le "
          "monde : tendances 2021. Genève. Consulté le 3 mars 2022.")
SPANISH = ("Referencias CEPAL (2021). Panorama Social de América Latina 2020. Santiago: Naciones Unidas. OIT (2020). "
           "Panorama Laboral 2020. América Latina y el Caribe. Lima: Oficina Regional para América Latina y el Caribe. "
           "Disponible en: https://www.ilo.org/americas/publicaciones/WCMS_764630 Consultado el 5 de mayo de 2022.")
ITALIAN_NOTES = ("Note 1 ILO, World Employment and Social Outlook: Trends 2023, Ginevra, 2023. 2 Ibid., p. 14. "
                 "3 ISTAT, Rapporto annuale 2022. La situazione del Paese, Roma, 2022. 4 Eurostat, Labour Force Survey, "
                 "https://ec.europa.eu/eurostat/web/lfs (consultato il 2 febbraio 2023).")
DUTCH = ("Literatuur Internationale Arbeidsorganisatie (2019). Werk voor een betere toekomst. Genève: IAO. "
         "Geraadpleegd op 12 mei 2021, van https://www.ilo.org/global/topics/future-of-work. Sociaal-Economische Raad "
         "(2021). Zekerheid voor mensen, een wendbare economie en herstel van vertrouwen. Den Haag: SER.")
INDEX = ("Index agriculture, 12, 45–47 apprenticeship 3, 18–20, 64 child labour, 7, 22, 90–93 collective bargaining, "
         "51, 58 informal economy, 5, 31, 77–79 skills 14–16, 40")

# Body text: the same reports' prose cites its sources by number, "(26)", which is not a citation mark.
USDOL_BODY = ("(26) While Syrian children are granted access to Jordanian public schools, UNICEF also notes that Syrian "
              "refugee children drop out of school at a higher rate than Jordanian children do. (30) These children face "
              "barriers to education, including bullying, the cost of transport and the need to work.")
INLINE_CITATIONS = ("Informal employment accounts for 61 per cent of global employment (ILO, 2018). In 2019 the share "
                    "was highest in Africa, and women are more exposed to it than men in low-income countries (ILO, "
                    "2018; WIEGO, 2019). Policies that extend social protection reduce that gap (Ohnsorge and Yu, 2021).")
WITH_A_LINK = ("ILAB released Comply Chain: Business Tools for Labor Compliance in Global Supply Chains, a free mobile "
               "application for companies seeking to develop social compliance systems. The online version is "
               "available at: https://www.dol.gov/ilab/complychain/ and was updated in 2019.")
CONVENTION_ARTICLES = ("1. Dit Verdrag herziet het Verdrag inzake de ouderdomsverzekering (industrie, enz.), 1933; het "
                       "Verdrag inzake de ouderdomsverzekering (landbouw), 1933; het Verdrag inzake de "
                       "invaliditeitsverzekering (industrie, enz.), 1933; en het Verdrag inzake de "
                       "overlijdensverzekering (landbouw), 1933. 2. Elk Lid stelt de bevoegde autoriteit aan.")
NUMBERED_STEPS = ("1. Review existing adult learning provision, funding and participation. 2. Agree with the social "
                  "partners on the objectives of an entitlement. 3. Choose a model that fits the country's financing. "
                  "4. Pilot it in 2024. 5. Evaluate it after two years. 6. Publish the results.")
TABLE_NOTE = ("Note: Data for 2019 are provisional and refer to persons aged 15 and over. Source: ILO modelled "
              "estimates, November 2020. Labour force participation fell in every region during the pandemic.")
# The end of the last section, then the list: worth showing for what comes before it.
LATE_LIST = ("Increase the availability of support services for children vulnerable to commercial sexual exploitation, "
             "human trafficking, and forced domestic work, in order to prevent them from being sent to live with other "
             "families. 2010 – 2021 Table 11. Suggested Government Actions to Eliminate Child Labor (Cont. REFERENCES 1 "
             "U.S. Department of State. Trafficking in Persons Report- 2021: Fiji. Washington, D.C., July 1, 2021.")


def _chunk(chunk_id: int, text: str, page: int | None = None, heading_path: tuple[str, ...] = ()) -> Chunk:
    return Chunk(doc_id="doc", ordinal=chunk_id, text=text, n_tokens=len(text.split()), page=page,
                 chunk_id=chunk_id, heading_path=heading_path)


@pytest.mark.parametrize("text", [
    USDOL_REFERENCES, USDOL_LIST_MIDDLE, VENEZUELA_NOTES, SDG_SOURCE, BIBLIOGRAPHY, FRENCH, SPANISH, ITALIAN_NOTES,
    DUTCH, INDEX,
], ids=["usdol references", "middle of a list", "numbered notes", "sdg source note", "bibliography", "french",
        "spanish", "italian notes", "dutch", "index"])
def test_back_matter_is_recognised(text):
    assert is_back_matter(_chunk(40, text, page=10))


def test_a_section_headed_references_needs_only_two_marks():
    text = ("World Bank. 2019. World Development Report 2019: The Changing Nature of Work (Washington, DC). ILO. 2021. "
            "World Employment and Social Outlook: Trends for Women (Geneva, International Labour Office)")
    assert not is_back_matter(_chunk(3, text))
    assert is_back_matter(_chunk(3, text, heading_path=("Annex", "References")))
    assert is_back_matter(_chunk(3, text, heading_path=("7. Bibliografía",)))


def test_an_entry_whose_first_line_became_a_heading_is_read_with_it():
    # labour-docs, Somalia: PDF extraction made the entry's first line the chunk's heading.
    heading = "81 Federal Government of Somalia, Ministry of Women and Human Rights"
    text = "Development. National Action Plan for Ending Sexual Violence in Conflict. 2013. Source on file."
    assert not is_back_matter(_chunk(5, text))
    assert is_back_matter(_chunk(5, text, page=40, heading_path=(heading,)))
    # A running head in capitals opens with a page number too: not an entry, so nothing is added.
    table = ("2018 – 2021 Ensure a minimum quality of standard care in shelters for victims of child trafficking. "
             "2017 – 2021 Develop social protection programs. 2019. Source on file.")
    assert not is_back_matter(_chunk(6, table, page=6, heading_path=("6 BUREAU OF INTERNATIONAL LABOR AFFAIRS",)))


@pytest.mark.parametrize("text", [
    USDOL_BODY, INLINE_CITATIONS, WITH_A_LINK, CONVENTION_ARTICLES, NUMBERED_STEPS, TABLE_NOTE, LATE_LIST,
    "The estimates draw on household surveys and censuses. See references for details of each source used in 2021.",
    "Notes in the data set indicate any differences between the data presented and the standard definition (2020).",
    ("Index scores are published every two years. The Human Capital Index ranks 174 countries; a child born in the "
     "region reaches 56 per cent of her potential, and girls aged 15 to 19 stay in school 11 years on average."),
], ids=["report prose", "inline citations", "a link in prose", "convention articles", "numbered steps", "table note",
        "list starting late", "see references", "notes in prose", "an index in prose"])
def test_body_text_is_not_back_matter(text):
    assert not is_back_matter(_chunk(12, text, page=4))


def test_a_reference_list_gives_way_to_the_documents_text():
    chunks = {8: _chunk(8, USDOL_REFERENCES, page=10), 9: _chunk(9, USDOL_LIST_MIDDLE, page=10),
              3: _chunk(3, USDOL_BODY, page=3)}
    candidate = DocCandidate("doc", 0.7, ((8, 0.7), (9, 0.65), (3, 0.5)))
    assert [p.chunk_id for p in grouping.hit_passages(candidate, chunks, set())] == [3]


def test_the_references_are_shown_when_the_query_found_nothing_else():
    chunks = {8: _chunk(8, USDOL_REFERENCES, page=10), 9: _chunk(9, USDOL_LIST_MIDDLE, page=10)}
    assert grouping.choose_passages([(9, 0.8), (8, 0.7)], chunks) == [(9, 0.8), (8, 0.7)]


def test_a_pool_of_references_looks_further_for_text():
    ranked = tuple((i, 1.0 - i / 100) for i in range(PASSAGE_POOL + 2))
    loaded = {i: _chunk(i, USDOL_LIST_MIDDLE if i % 2 else VENEZUELA_NOTES, page=10) for i in range(PASSAGE_POOL)}
    further = grouping.further_pool([DocCandidate("doc", 1.0, ranked)], loaded)
    assert further == [PASSAGE_POOL, PASSAGE_POOL + 1]
    loaded |= {c: _chunk(c, USDOL_BODY, page=3) for c in further}
    assert [c for c, _ in grouping.choose_passages(ranked, loaded)] == further


# Ghana 2021, chunks 69 and 70: a list's entries with long titles, one mark every 15 words, after a chunk told alone.
GHANA_69 = (
    "https://www.state.gov/child-protection-compact-partnerships-ghana/ 67 Hamel, Reid. A Role for Social Protection "
    "Investments to Support Food and Nutrition Security: Lessons from Ghana. February 2018. https://www.csis.org/analysis/"
    "role-social-protection-investments-supportfood-and-nutrition-security 68 Ministry of Employment and Labour "
    "Relations. National Employment Policy. November 2014. https://www.ilo.org/wcmsp5/groups/public/---africa/"
    "---ro-abidjan/---iloabuja/documents/publication/wcms_373458.pdf 69 UN Human Rights Council. National report "
    "submitted in accordance with paragraph 5 of the annex to Human Rights Council resolution 16/21 - Ghana.")
GHANA_70 = (
    "National report submitted in accordance with paragraph 5 of the annex to Human Rights Council resolution 16/21 - "
    "Ghana. A/HRC/WG.6/28/GHA/1. August 25, 2017. http://daccess-ods.un.org/access.nsf/Get?Open&DS=A/HRC/WG.6/28/ "
    "GHA/1&Lang=E 70 IOM. IOM Ghana Holds Counter-Trafficking Workshops for Communities in Volta Region. November 10, "
    "2017. http://www.iom.int/news/iom-ghana-holds-counter-trafficking-workshopscommunities-volta-region 71 Safo, "
    "Juliet Akyaa and Daniel Oduro-Mensah. Accra Diocese of Anglican Church organises workshop on child trafficking.")


def test_a_reference_list_runs_on_into_entries_with_fewer_marks():
    entries, body = _chunk(70, GHANA_70, page=10), _chunk(70, USDOL_BODY.replace("2021", "2021."), page=10)
    assert not is_back_matter(entries)  # alone, its marks are too few
    assert is_back_matter(entries, {69: _chunk(69, GHANA_69, page=10), 70: entries})
    # Two chunks back, through another that runs on.
    assert is_back_matter(entries, {68: _chunk(68, GHANA_69), 69: _chunk(69, GHANA_70), 70: entries})
    assert not is_back_matter(entries, {69: _chunk(69, USDOL_BODY), 70: entries})  # after the report's text
    other = Chunk(doc_id="other", ordinal=69, text=GHANA_69, n_tokens=60, chunk_id=69)
    assert not is_back_matter(entries, {69: other, 70: entries})  # another document's
    assert not is_back_matter(body, {69: _chunk(69, GHANA_69), 70: body})  # text with a date or two is not an entry
    assert grouping.choose_passages([(70, 0.9), (3, 0.5)], {69: _chunk(69, GHANA_69), 70: entries,
                                                             3: _chunk(3, USDOL_BODY, page=3)}) == [(3, 0.5)]


def test_a_search_reads_the_chunk_before_a_possible_run_on():
    from kb.search import query

    stored = {69: _chunk(69, GHANA_69, page=10), 70: _chunk(70, GHANA_70, page=10), 3: _chunk(3, USDOL_BODY, page=3)}
    asked: list[list[int]] = []

    class Reader:  # the one IndexReader method _passage_chunks uses
        def chunks(self, ids):
            asked.append(sorted(ids))
            return {i: stored[i] for i in ids if i in stored}

    candidate = DocCandidate("doc", 0.9, ((70, 0.9), (3, 0.5)))
    chunks = query._passage_chunks(Reader(), [candidate])
    assert asked == [[3, 70], [69]]
    assert [p.chunk_id for p in grouping.hit_passages(candidate, chunks, set())] == [3]


def test_the_long_patterns_are_compiled_by_their_first_use_and_match_as_re_does():
    """Front and back matter's long patterns cost a one-shot search milliseconds to compile, and most searches need
    only some of them: each is compiled when first used, with the same matches as re.compile gives."""
    import re

    from kb.search import backmatter, frontmatter
    from kb.search.lazy import Lazy

    patterns = [v for m in (frontmatter, backmatter) for v in vars(m).values() if isinstance(v, Lazy)]
    assert len(patterns) >= 9
    pattern = Lazy(r"(?<!\w)(?:Index|INDEX)\s*:?\s+(?=[\dA-Z])|wages,?\s\d+", re.IGNORECASE)
    assert pattern._compiled is None
    text = "Index: wages, 12 and index 4 and wages 13 INDEX A"
    same = re.compile(pattern._pattern, re.IGNORECASE)
    assert pattern.findall(text) == same.findall(text) and pattern.findall(text, 20) == same.findall(text, 20)
    assert [m.span() for m in pattern.finditer(text)] == [m.span() for m in same.finditer(text)]
    assert pattern.search(text, 1).span() == same.search(text, 1).span()  # type: ignore[union-attr]
    assert pattern.match(text) and not pattern.match(text, 1) and pattern.fullmatch("wages 3")
    assert pattern.compiled is pattern.compiled  # compiled once, then kept
