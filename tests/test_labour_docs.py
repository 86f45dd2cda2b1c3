"""Real documents from ../shared/data/labour-docs: a 12-file subset, ingested and questioned.

Skipped cleanly when the shared data is not on this machine.
"""

from __future__ import annotations

import shutil

import pytest

from kb import KnowledgeBase, Settings
from tests.conftest import LABOUR_DOCS

pytestmark = [
    pytest.mark.slow,
    pytest.mark.shared_data,
    pytest.mark.skipif(not LABOUR_DOCS.is_dir(), reason="../shared/data/labour-docs is not on this machine"),
]

SUBSET = [
    "usdol_ilab_child_labor/Brazil.pdf",
    "usdol_ilab_child_labor/Ghana.pdf",
    "usdol_ilab_child_labor/India.pdf",
    "usdol_ilab_child_labor/Kenya.pdf",
    "usdol_ilab_child_labor/Afghanistan.pdf",
    "ilo_italian_pdf/L-OIL-che-cosa-e-e-cosa-fa.pdf",
    "unicef_pdf/EOF_Information_Brief_Outcomes_Funds.pdf",
    "ilo_conventions_md/BWBV0003716__convention-concerning-annual-leave-with-pay-for-seafarers.md",
    "ilo_conventions_md/BWBV0003000__convention-concerning-safety-in-the-use-of-asbestos.md",
    "ilo_conventions_md/BWBV0004945__convention-concerning-the-abolition-of-forced-labour.md",
    "ilo_conventions_md/BWBV0003695__convention-concerning-paid-educational-leave.md",
    "ilo_conventions_md/BWBV0003701__convention-concerning-minimum-age-for-admission-to-employment.md",
]


@pytest.fixture(scope="module")
def labour_kb(tmp_path_factory, embedder) -> KnowledgeBase:
    root = tmp_path_factory.mktemp("labour") / "docs"
    for rel in SUBSET:
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(LABOUR_DOCS / rel, target)  # a copy: symlinks out of the ingested root are not followed
    kb = KnowledgeBase(Settings(index_dir=root.parent / "index"), embedder=embedder)
    report = kb.ingest([root])
    assert report.counts()["added"] == len(SUBSET), report.failed
    return kb


def test_a_question_on_seafarers_leave_ranks_the_seafarers_convention_first(labour_kb):
    hit = labour_kb.search("How many days of paid holiday must a sailor get for a year of service?", k=3).hits[0]
    assert hit.doc_id.endswith("annual-leave-with-pay-for-seafarers.md")
    assert hit.title == "Convention concerning Annual Leave with Pay for Seafarers", "the English title, not the Dutch one"
    assert not any(h.startswith("Verdrag") for p in hit.passages for h in p.heading_path), "the title block is not a heading"


@pytest.mark.parametrize("question, doc", [
    ("Can a government punish strikers or political opponents with compulsory work?", "abolition-of-forced-labour.md"),
    ("protecting workers from breathing in mineral fibres on building sites", "safety-in-the-use-of-asbestos.md"),
    ("time off work with wages kept so employees can study", "paid-educational-leave.md"),
    ("lowest age at which children may be hired", "minimum-age-for-admission-to-employment.md"),
    ("paying service providers only when education results are achieved", "EOF_Information_Brief_Outcomes_Funds.pdf"),
])
def test_paraphrased_questions_find_the_right_document(labour_kb, question, doc):
    assert labour_kb.search(question, k=3).hits[0].doc_id.endswith(doc)


def test_a_pdf_answer_cites_the_page_it_is_on(labour_kb):
    hit = labour_kb.search("Brazilian children making bricks, producing charcoal or collecting recycling", k=3).hits[0]
    assert hit.doc_id.endswith("Brazil.pdf")
    assert hit.page == 2
    text = labour_kb.reader().chunks([hit.chunk_id])[hit.chunk_id].text
    assert "charcoal" in text and "bricks" in text


def test_country_reports_have_their_title_and_the_italian_pdf_is_italian(labour_kb):
    ghana = labour_kb.document("usdol_ilab_child_labor/Ghana.pdf")
    assert ghana.title == "2021 Findings on the Worst Forms of Child Labor: Ghana"
    assert ghana.n_pages and ghana.n_pages > 5
    assert labour_kb.document("ilo_italian_pdf/L-OIL-che-cosa-e-e-cosa-fa.pdf").language == "it"


@pytest.mark.parametrize("question, doc", [
    ("C105", "abolition-of-forced-labour.md"),
    ("Convention No. 140", "paid-educational-leave.md"),
    ("what does convention 138 say about light work", "minimum-age-for-admission-to-employment.md"),
])
def test_a_convention_asked_by_its_number_finds_its_text_which_holds_no_number(labour_kb, question, doc):
    result = labour_kb.search(question, k=3)
    assert result.hits[0].doc_id.endswith(doc) and any(n.startswith("Searched “") for n in result.notices)
