"""Front matter: the metadata block at the top of a Markdown file, YAML between '---' lines or TOML between '+++'."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from kb.errors import LoadError

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
# Hugo's and Zola's TOML front matter: a site exported from either starts each page so, and the block was read as the
# page's first paragraph ('+++ title = "…" date = 2021-02-11 +++'), the page titled by its file name.
_TOML_FRONT_MATTER = re.compile(r"\A\+\+\+[ \t]*\n(.*?)\n\+\+\+[ \t]*(?:\n|\Z)", re.S)


def parse_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Split YAML or TOML front matter from a Markdown body; a broken block is a LoadError that says where."""
    toml = _TOML_FRONT_MATTER.match(text)
    if toml:
        return _toml(toml.group(1)), text[toml.end():]
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    import yaml

    try:
        data = yaml.load(match.group(1), Loader=_text_dates_loader())  # a SafeLoader (dates as text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark is not None else ""
        raise LoadError(f"front matter is not valid YAML{where}; fix it or remove the '---' block") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise LoadError("front matter must be a YAML mapping of key: value lines")
    return data, text[match.end():]


def _toml(block: str) -> dict[str, Any]:
    import tomllib

    try:
        return tomllib.loads(block)
    except tomllib.TOMLDecodeError as exc:
        raise LoadError(f"front matter is not valid TOML ({exc}); fix it or remove the '+++' block") from None


@cache
def _text_dates_loader() -> type:
    """YAML's safe loader, except that dates stay text, for normalise_date to read: PyYAML makes "date: 2020-02-30"
    a ValueError ("day is out of range for month"), which failed the whole file for one typo."""
    import yaml

    class TextDates(yaml.SafeLoader):
        pass

    TextDates.yaml_implicit_resolvers = {
        first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return TextDates
