"""A search's query parameters made into Filters: type, lang, since, until, and any facet of the index."""

from __future__ import annotations

import difflib
import re

from fastapi import Request

from kb.api.errors import APIError
from kb.records import Filters
from kb.service import KnowledgeBase

# The parameters of /search with a meaning of their own; any other must name a facet of the index.
SEARCH_PARAMS = {"q", "k", "mode", "type", "lang", "query_lang", "as_typed", "since", "until", "offset"}
# since/until: YYYY, YYYY-MM or a calendar date (29 February in leap years only), or empty for no bound.
# One pattern, published in the OpenAPI and applied by the server, so the two cannot disagree.
_YEAR = "[1-9][0-9]{3}"
_MONTH = "(0[1-9]|1[0-2])"
_MONTH_DAY = "(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31"
_LEAP_YEAR = "[1-9][0-9](0[48]|[2468][048]|[13579][26])|([2468][048]|[13579][26])00"
DATE_PATTERN = f"^({_YEAR}|{_YEAR}-{_MONTH}|{_YEAR}-({_MONTH_DAY})|({_LEAP_YEAR})-02-29)?$"


def date_bound(value: str | None, name: str) -> str | None:
    """A since/until value as given, None for no bound; APIError when it is not a date."""
    if value is None or value == "":
        return None
    if not re.fullmatch(DATE_PATTERN, value):
        raise APIError(400, "bad_date", f"{name}={value!r} is not a date; use YYYY, YYYY-MM or YYYY-MM-DD.")
    return value


def search_filters(request: Request, kb: KnowledgeBase, types: list[str], languages: list[str],
                   since: str | None, until: str | None) -> Filters:
    """The Filters a search asks for; APIError for a bad date or a parameter that names no facet."""
    extra = [key for key in request.query_params if key not in SEARCH_PARAMS]
    where: dict[str, tuple[str, ...]] = {}
    if extra:
        known = kb.facet_fields()
        unknown = sorted(key for key in extra if key not in known)
        if unknown:
            raise APIError(400, "unknown_parameter", _unknown_message(unknown, known))
        where = {key: tuple(request.query_params.getlist(key)) for key in extra}
    return Filters(types=tuple(types), languages=tuple(languages), since=date_bound(since, "since"),
                   until=date_bound(until, "until"), where=where)


def _unknown_message(unknown: list[str], known: set[str]) -> str:
    """What an unknown parameter is and what the request could say instead."""
    names = sorted(SEARCH_PARAMS | known)
    close = [c for key in unknown for c in difflib.get_close_matches(key.lower(), names, n=2, cutoff=0.6)]
    hint = f" Did you mean {' or '.join(dict.fromkeys(close))}?" if close else ""
    return (f"Unknown parameter(s): {', '.join(unknown)}: no such parameter, and no document has such a facet.{hint} "
            f"Parameters: {', '.join(sorted(SEARCH_PARAMS))}; facets to filter on (e.g. country=KE): {', '.join(sorted(known))}.")
