"""Issue 16.8: ID and phone numbers written with spaces, hyphens or dots are found, refused on
save, and masked wherever a text becomes public."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from portal import identity
from portal.errors import DomainError
from portal.evaluation import hearings, matters
from portal.evaluation.models import OpinionLetter
from portal.extensions import db
from tests.evaluation import factories

PHONE_SPELLINGS = ["13812345678", "138 1234 5678", "138-1234-5678", "138.1234.5678",
                   "138　1234　5678", "１３８１２３４５６７８", "138 - 1234 - 5678", "1 3 8 1 2 3 4 5 6 7 8"]
ID_SPELLINGS = ["330781197005171235", "330781 19700517 1235", "330781-1970-0517-123X",
                "3307 8119 7005 1712 35", "330781.19700517.1235", "330781197005171"]
HARMLESS = ["2026年11月18日 13:30 在县人民来访接待中心", "XF-2026-0031", "补偿款 125000.00 元",
            "2026-11-18", "第 3 组 18 号", "电话 0579-88881234"]


@pytest.mark.parametrize("number", PHONE_SPELLINGS + ID_SPELLINGS)
def test_spelt_numbers_are_found_and_masked(number):
    text = f"信访人（{number}）反映"
    assert identity.contains_personal_number(text)
    masked = identity.redact_personal_numbers(text)
    assert masked == "信访人（****）反映", masked


@pytest.mark.parametrize("text", HARMLESS)
def test_dates_amounts_and_matter_numbers_are_left_alone(text):
    assert not identity.contains_personal_number(text)
    assert identity.redact_personal_numbers(text) == text


@pytest.mark.parametrize("field", ["summary", "title"])
@pytest.mark.parametrize("number", ["138 1234 5678", "138-1234-5678", "330781 19700517 1235"])
def test_a_public_matter_text_with_a_spelt_number_is_refused(app, field, number):
    value = {"summary": f"信访人反映补偿问题，联系电话 {number}，请核实。",
             "title": f"{number} 土地补偿"}[field]
    with pytest.raises(DomainError) as caught:
        matters.save_matter(None, factories.matter_data(**{field: value}), factories.staff(),
                             factories.now())
    assert "不能包含身份证号或手机号码" in caught.value.reasons[field]


def test_a_hearing_cancel_reason_is_public_and_checked(app):
    hearing = factories.hearing()
    with pytest.raises(DomainError) as caught:
        hearings.cancel_hearing(hearing, "信访人 138-1234-5678 要求改期", factories.staff(),
                              factories.now())
    assert "reason" in caught.value.reasons


def test_published_reasons_mask_spelt_numbers(app, client, clock):
    hearing, _poll = factories.published_result(clock)
    letter = db.session.scalar(select(OpinionLetter).where(OpinionLetter.hearing_id == hearing.id))
    letter.reasons = ("经评议，信访人吴秋菊（电话 139 1234 5678，身份证 330781-1970-0517-1235）"
                      "的诉求已依法处理。")
    db.session.commit()
    page = client.get(f"/evaluation/results/{hearing.id}").text
    for leaked in ("139 1234 5678", "5678", "330781-1970", "1235", "秋菊"):
        assert leaked not in page, leaked
    assert "吴某某" in page and "****" in page
