"""A line that is only a date, as web pages print their publication date above the text: "Published 3 March 2021",
"Publié le 12 octobre 2022", "Publicado el 5 de abril de 2022", "12 May 2022", a dateline's "Kathmandu, 14 July 2021".

Such a line is no title (titles.names_nothing), and when a page's meta tags give no date it is the page's date: of the
HTML pages of an ILO site export tried, those with a date only in their text were dated nothing.
"""

from __future__ import annotations

import datetime as dt
import re

from kb.languages import fold

# Month names of the languages ILO pages are written in (English, French, Spanish, Italian, Dutch), accents folded,
# with their usual abbreviations.
_MONTHS = {name: number for number, names in enumerate((
    ("january", "jan", "janvier", "janv", "enero", "ene", "gennaio", "gen", "januari"),
    ("february", "feb", "fevrier", "fevr", "febrero", "febbraio", "februari"),
    ("march", "mar", "mars", "marzo", "maart", "mrt"),
    ("april", "apr", "avril", "abril", "abr", "aprile"),
    ("may", "mai", "mayo", "maggio", "mag", "mei"),
    ("june", "jun", "juin", "junio", "giugno", "giu", "juni"),
    ("july", "jul", "juillet", "juil", "julio", "luglio", "lug", "juli"),
    ("august", "aug", "aout", "agosto", "ago", "augustus"),
    ("september", "sep", "sept", "septembre", "septiembre", "setiembre", "settembre", "set"),
    ("october", "oct", "octobre", "octubre", "ottobre", "ott", "oktober", "okt"),
    ("november", "nov", "novembre", "noviembre"),
    ("december", "dec", "decembre", "diciembre", "dic", "dicembre"),
), start=1) for name in names}
# What comes before the date: "Published", "Last updated on", "Publié le", "Publicado el", "Pubblicato il", "Datum:".
_LABEL = (r"(?:(?:first |last )?(?:published|posted|updated|issued|released|date)(?: on)?|publie le|mis a jour le|"
          r"publicado el|actualizado el|fecha|pubblicato il|aggiornato il|data|gepubliceerd op|datum)")
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})(?:st|nd|rd|th|er)? (?:de )?([a-z]{3,10})\.?,? (?:de )?(\d{4})")
_MONTH_DAY_YEAR = re.compile(r"([a-z]{3,10})\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
# A press release's dateline names its place first: "Kathmandu, 14 July 2021", "GENEVA, 14 May 2024".
_PLACE = r"[a-z][a-z .'-]{1,30}, "
_LINE = re.compile(rf"(?:{_LABEL}\s*:?\s*|{_PLACE})?(.+?)[.]?")


def date_of_line(line: str) -> str | None:
    """The ISO date a line is made of (after a "Published"-like label at most); None for any other line."""
    text = " ".join(fold(line.lower()).split())
    if len(text) > 60:
        return None
    whole = _LINE.fullmatch(text)
    if whole is None:
        return None
    rest = whole.group(1)
    for pattern, order in ((_DAY_MONTH_YEAR, (0, 1, 2)), (_MONTH_DAY_YEAR, (1, 0, 2)), (_ISO, None)):
        found = pattern.fullmatch(rest)
        if found is None:
            continue
        if order is None:
            year, month, day = (int(g) for g in found.groups())
        else:
            day_text, month_text, year_text = (found.group(i + 1) for i in order)
            month = _MONTHS.get(month_text, 0)
            day, year = int(day_text), int(year_text)
        try:
            return dt.date(year, month, day).isoformat()
        except ValueError:
            return None
    return None
