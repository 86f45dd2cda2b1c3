"""The filter flags `kb search` and `kb browse` share, made into one Filters; how an error writes a filter back."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from functools import wraps

import click

from kb.records import Filters

# The flag each filter field has of its own; any other field is given with --where FIELD=VALUE.
FLAGS = {"type": "--type", "language": "--lang", "topic": "--topic", "country": "--country", "region": "--region",
         "since": "--since", "until": "--until"}

OPTIONS = (
    click.option("--type", "types", multiple=True, metavar="TYPE",
                 help='Only documents of this type, e.g. tool_report or "tool report" (repeatable).'),
    click.option("--topic", "topics", multiple=True, metavar="TOPIC",
                 help="Only documents on this topic: its id or label, as kb topics lists them (repeatable)."),
    click.option("--country", "countries", multiple=True, metavar="COUNTRY",
                 help="Only documents about this country: its name or ISO code (repeatable)."),
    click.option("--region", "regions", multiple=True, metavar="REGION",
                 help="Only documents about a country in this ILO region or subregion, e.g. Africa or \"West Africa\" (repeatable)."),
    click.option("--lang", "languages", multiple=True, metavar="LANG",
                 help="Only documents in this language: a code or a name, e.g. en or English (repeatable)."),
    click.option("--year", type=click.IntRange(1000, 9999), help="Only documents dated in this year."),
    click.option("--since", help="Only documents dated on or after (YYYY[-MM[-DD]])."),
    click.option("--until", help="Only documents dated on or before (YYYY[-MM[-DD]])."),
    click.option("--where", "where", multiple=True, metavar="KEY=VALUE",
                 help="Only documents whose facet KEY has VALUE, e.g. author=Smith (repeatable)."),
)


def cli_spelling(field: str, value: str) -> str:
    """A filter as the command line writes it: ("type", "tool_report") -> "--type tool_report"."""
    if field in FLAGS:
        return f"{FLAGS[field]} {shlex.quote(value)}"
    return f"--where {shlex.quote(f'{field}={value}')}"


def filter_options(command: Callable) -> Callable:
    """Add the filter flags to a command, which receives them as one `filters` argument."""

    @wraps(command)
    def with_filters(*args, types, topics, countries, regions, languages, year, since, until, where, **kwargs):
        if year is not None and (since or until):
            raise click.UsageError("Give --year, or --since/--until, not both.")
        where_given = parse_where(where)
        for name, values in (("topic", topics), ("country", countries), ("region", regions)):
            if values:
                where_given[name] = (*where_given.get(name, ()), *values)
        filters = Filters(
            types=tuple(types), languages=tuple(languages),
            since=str(year) if year is not None else check_date(since, "--since"),
            until=str(year) if year is not None else check_date(until, "--until"), where=where_given,
        )
        return command(*args, filters=filters, **kwargs)

    for option in reversed(OPTIONS):
        with_filters = option(with_filters)
    return with_filters


def parse_where(values: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """{key: values} from KEY=VALUE items; BadParameter for an item that is not one."""
    where: dict[str, list[str]] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise click.BadParameter(f"{item!r} is not KEY=VALUE (e.g. --where country=Kenya)", param_hint="--where")
        where.setdefault(key.strip().lower(), []).append(value.strip())
    return {k: tuple(v) for k, v in where.items()}


def check_date(value: str | None, name: str) -> str | None:
    """The date as the index stores it (YYYY, YYYY-MM or YYYY-MM-DD); BadParameter when it is none."""
    if value is None:
        return None
    from kb.ingest.metadata import normalise_date  # the ingest side's parser; not imported by a plain search

    date = normalise_date(value)
    if date is None:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY, YYYY-MM or YYYY-MM-DD", param_hint=name)
    return date
