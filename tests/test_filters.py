"""Filter values as people write them -> the index's own, and the errors for those it does not know (no index)."""

from __future__ import annotations

import pytest

from kb.errors import UnknownFilter
from kb.records import Filters
from kb.resolve import not_found, relative_source
from kb.search.filters import KnownValues, resolve, spelling

COUNTRIES = {"ghana": "GH", "gh": "GH", "kenya": "KE", "ke": "KE", "japan": "JP"}


def _known() -> KnownValues:
    return KnownValues.build(
        {
            "type": [(t, t) for t in ("press_release", "tool_report", "skills_guide")],
            "topic": [("apprenticeships", "apprenticeships"), ("Apprenticeships and work-based learning", "apprenticeships"),
                      ("skills-migration", "skills-migration"), ("Skills for migrant workers", "skills-migration")],
            "country": [("GH", "GH"), ("KE", "KE"), ("Ghana", "GH")],
            "language": [("en", "en"), ("fr", "fr")],
            "author": [("International Labour Office", "International Labour Office")],
        },
        {"country": lambda v: COUNTRIES.get(v.strip().lower())},
    )


@pytest.mark.parametrize("given", ["tool_report", "tool report", "tool-report", "Tool Report", "TOOL_REPORT", "tool reports"])
def test_spellings_of_a_type_name_the_stored_type(given):
    assert resolve(Filters(types=(given,)), _known()).types == ("tool_report",)


@pytest.mark.parametrize("given, stored", [("apprenticeship", "apprenticeships"), ("Apprenticeships", "apprenticeships"),
                                           ("Skills for migrant workers", "skills-migration"), ("skills migration", "skills-migration")])
def test_topic_singulars_and_labels_name_the_topic_id(given, stored):
    assert resolve(Filters(where={"topics": (given,)}), _known()).where == {"topic": (stored,)}


def test_country_names_and_codes_are_one_code_and_a_country_without_documents_is_allowed():
    where = resolve(Filters(where={"country": ("Ghana", "gh", "GH"), "countries": ("Kenya",)}), _known()).where
    assert where == {"country": ("GH", "KE")}
    assert resolve(Filters(where={"country": ("Japan",)}), _known()).where == {"country": ("JP",)}


def test_an_unknown_value_names_the_closest_known_ones():
    with pytest.raises(UnknownFilter) as caught:
        resolve(Filters(types=("toolreport",)), _known())
    error = caught.value
    assert (error.field, error.value, error.suggestions[0]) == ("type", "toolreport", "tool_report")
    assert set(error.known) == {"press_release", "tool_report", "skills_guide"}
    message = error.explain(lambda field, value: f"--{field} {value}")
    assert message.startswith("--type toolreport: the index has no type 'toolreport'.")
    assert "Did you mean --type tool_report?" in message and "Known values: press_release, skills_guide, tool_report." in message


@pytest.mark.parametrize(("given", "meant"), [("press", "press_release"), ("guide", "skills_guide"), ("tool", "tool_report")])
def test_a_word_of_a_known_value_names_it(given, meant):
    with pytest.raises(UnknownFilter) as caught:
        resolve(Filters(types=(given,)), _known())
    assert caught.value.suggestions == (meant,)


def test_an_unknown_value_with_nothing_close_lists_the_known_values():
    with pytest.raises(UnknownFilter) as caught:
        resolve(Filters(languages=("xx",)), _known())
    assert caught.value.suggestions == () and caught.value.known == ("en", "fr")
    with pytest.raises(UnknownFilter):
        resolve(Filters(where={"country": ("Narnia",)}), _known())


def test_an_unknown_field_lists_the_fields():
    with pytest.raises(UnknownFilter) as caught:
        resolve(Filters(where={"colour": ("red",)}), _known())
    error = caught.value
    assert not error.field_known and error.field == "colour"
    assert {"type", "topic", "country", "author", "year"} <= set(error.known)
    assert "the index has no field 'colour'" in error.explain(lambda f, v: f"{f}={v}")


def test_any_year_is_a_year_and_other_values_of_open_fields_are_not():
    assert resolve(Filters(where={"year": ("1999",)}), _known()).where == {"year": ("1999",)}
    with pytest.raises(UnknownFilter):
        resolve(Filters(where={"year": ("last year",)}), _known())


def test_spelling_folds_case_separators_and_spaces():
    assert spelling("  Tool__Report ") == spelling("tool-report") == "tool report"


def test_sources_are_named_relative_to_their_root():
    roots = ("/srv/kb/corpus/tool-reports", "/srv/kb/corpus", "beir:/data/scifact")
    assert relative_source("/srv/kb/corpus/press/a.md", roots) == "press/a.md"
    assert relative_source("/srv/kb/corpus/tool-reports/x.pdf", roots) == "x.pdf"  # the longer root names it
    assert relative_source("beir:/data/scifact#4983", roots) == "4983"
    assert relative_source("/elsewhere/y.txt", roots) == "y.txt"  # a root no longer known: never the whole path


def test_an_unknown_id_suggests_the_ids_it_is_close_to():
    ids = ["tool-reports/recognition-of-prior-learning-rpl-toolkit.pdf", "press-releases/2024-03-ghana.html"]
    cut = not_found("recognition-of-prio…", ids)
    assert cut.suggestions == (ids[0],) and repr(ids[0]) in str(cut)
    assert not_found("tool-reports/recognition-of-prior-learning-rpl-toolkt.pdf", ids).suggestions == (ids[0],)
    assert not_found("ghana.html", ids).suggestions == (ids[1],)  # the file name alone is close
    assert not_found("budget.xlsx", ids).suggestions == ()  # nothing alike: no guess
