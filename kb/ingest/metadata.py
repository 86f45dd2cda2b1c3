"""Document metadata: merge what the file, its sidecar and its folder say into one Document."""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import re
from pathlib import Path
from typing import Any

from kb.errors import LoadError
from kb.ingest.enrich import normalise_countries, type_from_text
from kb.ingest.titles import naming_title, opaque_name, title_from_prose
from kb.records import TYPE_ALIASES, Document, LoadedFile

# Folder names that tell a document's type when its metadata does not.
_FOLDER_TYPES = {
    "press-releases": "press_release", "press_releases": "press_release", "press-release": "press_release",
    "pressreleases": "press_release", "news": "press_release", "newsroom": "press_release",
    "tool-reports": "tool_report", "tool_reports": "tool_report", "tools": "tool_report",
    "toolkits": "tool_report", "toolkit": "tool_report",
    "skills-guides": "skills_guide", "skills_guides": "skills_guide", "guides": "skills_guide",
    "guidance": "skills_guide",
}
# Keys that are Document fields rather than free metadata.
_CORE_KEYS = {"title", "date", "type", "language", "lang", "description", "summary", "_title_candidates"}
_MULTI_SPLIT = re.compile(r"\s*[,;]\s*")
# What kb itself says about a file while reading it: held with the parsers' warnings for the file's report entry.
log = logging.getLogger("kb.ingest")


def sidecar_path(path: Path) -> Path | None:
    """The sidecar metadata file beside a file: NAME.meta.json, else NAME.ext.meta.json; None when absent."""
    for candidate in (path.with_name(path.stem + ".meta.json"), path.with_name(path.name + ".meta.json")):
        if candidate.is_file():
            return candidate
    return None


def read_sidecar(path: Path) -> dict[str, Any]:
    """Metadata from the file's sidecar (see sidecar_path); {} when there is none."""
    sidecar = sidecar_path(path)
    if sidecar is None:
        return {}
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LoadError(f"sidecar {sidecar.name} is not valid JSON ({exc}); fix or remove it") from None
    if not isinstance(data, dict):
        raise LoadError(f"sidecar {sidecar.name} must hold a JSON object")
    return data


def normalise_type(value: Any) -> str | None:
    """A document type from free text ("Press release" -> press_release); None when unknown or empty."""
    if not isinstance(value, str) or not value.strip():
        return None
    key = value.strip().lower()
    slug = key.replace(" ", "_").replace("-", "_")
    return TYPE_ALIASES.get(key) or slug


def type_from_folders(rel_path: Path) -> str | None:
    """The type implied by the nearest folder with a known name, e.g. press-releases/ -> press_release."""
    for part in reversed(rel_path.parent.parts):
        found = _FOLDER_TYPES.get(part.lower())
        if found:
            return found
    return None


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d %B %Y", "%B %d, %Y", "%d %b %Y", "%b %d, %Y", "%Y%m%d", "%d.%m.%Y", "%d/%m/%Y")


def normalise_date(value: Any) -> str | None:
    """An ISO date (YYYY-MM-DD, or YYYY-MM / YYYY when that is all there is); None when unreadable."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    if not text:
        return None
    if text.startswith("D:"):  # PDF date string D:YYYYMMDD...
        text = text[2:10]
    iso = re.match(r"^(\d{4})-(\d{2})-(\d{2})", text)
    if iso:
        try:
            return dt.date(int(iso[1]), int(iso[2]), int(iso[3])).isoformat()
        except ValueError:
            return None
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    month = re.match(r"^(\d{4})-(\d{2})$", text)
    if month and 1 <= int(month[2]) <= 12:
        return text
    year = re.match(r"^(1[89]\d\d|20\d\d)$", text)
    return year[1] if year else None


def date_from_name(name: str) -> str | None:
    """A date at the start of a file name: 2023-06-16-foo.md -> 2023-06-16, 2023-06-foo -> 2023-06."""
    match = re.match(r"^(\d{4})[-_](\d{2})(?:[-_](\d{2}))?(?=[-_. ])", name)
    if not match:
        return None
    return normalise_date("-".join(p for p in match.groups() if p))


def normalise_language(value: Any) -> str | None:
    """A two-letter language code from 'en', 'en-GB', 'English' or 'fr_FR'."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().lower()
    names = {"english": "en", "french": "fr", "français": "fr", "spanish": "es", "español": "es",
             "italian": "it", "italiano": "it", "dutch": "nl", "german": "de", "portuguese": "pt", "arabic": "ar"}
    if text in names:
        return names[text]
    code = re.split(r"[-_]", text)[0]
    return code if re.fullmatch(r"[a-z]{2,3}", code) else None


# Letters of scripts written without spaces between words (Thai, Lao, Myanmar, Japanese kana, Chinese characters): a
# Chinese page is one "word" to str.split, so each of these counts as a word towards a sample long enough to tell.
_UNSPACED = re.compile(r"[\u0e00-\u0eff\u1000-\u109f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


# Below this probability of its answer, py3langid is guessing: "Upper case suffix. Apprentices in Peru." was Latin
# (0.52), and the document's language is the likeliest of those kb analyses (kb/languages.py).
SURE = 0.9


def detect_language(text: str) -> str | None:
    """The language of a text sample (py3langid); None for samples too short to tell. When py3langid is unsure of its
    answer (SURE), the likeliest of the languages kb analyses: a short English note is no Latin."""
    sample = text[:5000]
    if len(sample.split()) + len(_UNSPACED.findall(sample)) < 5:
        return None
    import py3langid

    from kb.languages import LANGUAGES

    ranked = py3langid.rank(sample)
    best, top = ranked[0]
    if best in LANGUAGES or 1 / sum(math.exp(score - top) for _, score in ranked) >= SURE:
        return str(best)
    return next((str(code) for code, _ in ranked if code in LANGUAGES), str(best))


def contradicts(declared: str, text: str) -> bool:
    """Whether a text is surely in another language than `declared` says ("en", "es-ES"): 30 words at least, and
    py3langid's probability of its own answer (its scores made probabilities) 0.99 or more. A CMS template writes one
    <html lang> on every page: the French page of an English site was indexed as English."""
    sample = text[:5000]
    code = normalise_language(declared)
    if code is None or len(sample.split()) < 30:
        return False
    import py3langid

    ranked = py3langid.rank(sample)
    best, top = ranked[0]
    if best == code:
        return False
    return 1 / sum(math.exp(score - top) for _, score in ranked) >= 0.99


def _as_values(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (list, tuple, set)):
        items = [str(v).strip() for v in value if v is not None and not isinstance(v, (dict, list))]
    elif isinstance(value, dict):
        return ()
    elif isinstance(value, str):
        items = _MULTI_SPLIT.split(value.strip())
    else:
        items = [normalise_date(value) or str(value)]
    return tuple(dict.fromkeys(i for i in items if i))


def _title_from_name(path: Path) -> str:
    stem = re.sub(r"^\d{4}[-_]\d{2}([-_]\d{2})?[-_]", "", path.stem)
    words = re.sub(r"[-_]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else path.name


def build_document(path: Path, rel_path: Path, loaded: LoadedFile, content_hash: str, source: str,
                   sidecar: bool = True) -> Document:
    """One Document from a loaded file: metadata from the file, then its sidecar, then its folder and name."""
    merged: dict[str, Any] = dict(loaded.metadata)
    if sidecar:
        merged.update(read_sidecar(path))
    sample = " ".join(s.text for s in loaded.sections[:20])[:5000]
    language = normalise_language(merged.get("language") or merged.get("lang")) or detect_language(sample)

    given = merged.get("title") if isinstance(merged.get("title"), str) and merged["title"].strip() else None
    candidates = merged.get("_title_candidates") or ()
    title = given
    if not title and len(candidates) > 1 and language:
        # Bilingual exports put titles in two languages in a row; prefer the one in the text's language. (Headings in
        # one language, a form's empty sections in a row, are not titles: "Contact point in international agency".)
        spoken = [detect_language(c + " " + c) for c in candidates]
        if len(set(spoken)) > 1:
            title = next((c for c, said in zip(candidates, spoken, strict=True) if said == language), None)
    title = title or loaded.title
    if title and not given:  # a title the file's metadata or sidecar gives is kept as given, even a letterhead
        title = naming_title(title, loaded.sections, candidates, language, detect_language)
    title = title or (opaque_name(path.stem) and title_from_prose(loaded.sections)) or _title_from_name(path)

    title = " ".join(str(title).split())[:300]
    doc_type = normalise_type(merged.get("type")) or type_from_folders(rel_path) or type_from_text(title) or "other"
    date = normalise_date(merged.get("date")) or date_from_name(path.name)
    description = merged.get("description") or merged.get("summary")
    extra = {
        key: values
        for key, value in merged.items()
        if key not in _CORE_KEYS and not key.startswith("_") and (values := _as_values(value))
    }
    codes, regions, unknown = normalise_countries(extra.pop("countries", ()) + extra.pop("country", ()), title)
    for value in unknown:
        log.warning("country %r is not in kb's country table, so it is not kept: give the country's name or ISO code, "
                    "or add the name as an alias in kb/data/countries.tsv", value)
    if codes:
        extra["countries"], extra["regions"] = codes, regions
    return Document(
        doc_id=rel_path.as_posix(),
        title=title,
        type=doc_type,
        date=date,
        language=language,
        source=source,
        format=loaded.format,
        content_hash=content_hash,
        description=" ".join(str(description).split())[:500] if description else None,
        n_pages=loaded.n_pages,
        metadata=extra,
    )
