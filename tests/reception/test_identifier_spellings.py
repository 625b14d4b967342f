"""Issue 16.1: one person is one person, however the digits of the ID number are spelt.

The attack: positions of an ID number typed in full-width, Arabic-Indic or Devanagari digits
(with spaces or hyphens) gave a new keyed hash, so one ID held many bookings, escaped the
no-show suspension and hid the 满意 mark from staff. Hypothesis tries every digit spelling
through the real booking form.
"""
from __future__ import annotations

from datetime import date, time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from portal import calendar, identity, privacy
from portal.evaluation.models import Matter
from portal.extensions import db
from portal.reception import queries, services
from portal.reception.models import Booking
from tests import factories

# Ways to write one digit: ASCII, full-width, Arabic-Indic, Extended Arabic-Indic, Devanagari,
# Bengali, mathematical bold, circled (NFKC folds some of these to ASCII, refuses none).
DIGIT_FORMS = (
    lambda d: d,
    lambda d: chr(0xFF10 + int(d)),
    lambda d: chr(0x0660 + int(d)),
    lambda d: chr(0x06F0 + int(d)),
    lambda d: chr(0x0966 + int(d)),
    lambda d: chr(0x09E6 + int(d)),
    lambda d: chr(0x1D7CE + int(d)),
)
X_FORMS = ("X", "x", "Ｘ", "ｘ")
SEPARATORS = ("", "", "", " ", "　", "-", "－", "\u200b", "‐", "−")

EXAMPLES = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def spellings(draw, number: str) -> str:
    """``number`` with each character in a drawn script and drawn separators between."""
    out = []
    for ch in number:
        if ch == "X":
            out.append(draw(st.sampled_from(X_FORMS)))
        else:
            out.append(draw(st.sampled_from(DIGIT_FORMS))(ch))
        out.append(draw(st.sampled_from(SEPARATORS)))
    return "".join(out)


def _canonical_or_refused(spelt: str, number: str) -> bool:
    """The spelling is either the same number once canonical, or refused as malformed."""
    canonical = identity.normalise_id_number(spelt)
    return canonical == number or identity.id_number_error(spelt, date(2026, 11, 18)) is not None


def _post(client, session_id: int, id_number: str, phone: str | None = None):
    return client.post(f"/reception/sessions/{session_id}", data=factories.booking_form(
        id_number=id_number, phone=phone or factories.phone()))


def _bookings_of(number: str) -> int:
    return db.session.scalar(select(func.count(Booking.id)).where(
        Booking.id_hash == privacy.lookup_hash(number), Booking.status.in_(("pending",
                                                                            "confirmed"))))


def test_every_spelling_of_a_booked_id_meets_one_per_person(app, client):
    number = factories.id_number(seq=601)
    session = factories.session(end=time(12, 0))
    assert _post(client, session.id, number).status_code == 303

    @given(spelt=spellings(number))
    @EXAMPLES
    def attempt(spelt):
        assert _canonical_or_refused(spelt, number)
        response = _post(client, session.id, spelt)
        assert response.status_code == 422, spelt  # the form page answers every refusal so
        assert ("一人一号" in response.text) or ("身份证号" in response.text)
        assert db.session.scalar(select(func.count(Booking.id))) == 1, spelt

    attempt()


def test_every_spelling_of_a_suspended_id_stays_suspended(app, client, clock):
    number = factories.id_number(seq=602)
    for day in (date(2026, 9, 14), date(2026, 10, 19), date(2026, 11, 2)):
        factories.recorded_no_show(clock, number, day)
    session = factories.session(end=time(12, 0))
    before = db.session.scalar(select(func.count(Booking.id)))

    @given(spelt=spellings(number))
    @EXAMPLES
    def attempt(spelt):
        response = _post(client, session.id, spelt)
        assert response.status_code == 422, spelt  # the form page answers every refusal so
        assert "暂停预约" in response.text or "身份证号格式不正确" in response.text, spelt
        assert db.session.scalar(select(func.count(Booking.id))) == before, spelt

    attempt()


def test_every_spelling_that_books_carries_the_satisfied_mark(app, client):
    number = factories.id_number(seq=603)
    matter = Matter(  # a petitioner whose matter was evaluated 满意 and published
        number="XF-2026-0603", number_key="XF-2026-0603", title="测试事项", category="征地拆迁",
        unit="青石镇人民政府", level="township", summary="测试事项概要，用于满意标记。",
        petitioner_name="吴秋菊", petitioner_id_cipher=privacy.encrypt(number),
        petitioner_id_hash=privacy.lookup_hash(number), petitioner_id_last4=number[-4:],
        petitioner_phone_cipher=privacy.encrypt("13912345678"),
        petitioner_address_cipher=privacy.encrypt("青石镇"), opinion_cipher=privacy.encrypt("意见"),
        opinion_date=date(2026, 9, 1), status="satisfied", result="satisfied",
        result_published_on=date(2026, 10, 9), created_at=calendar.now(),
        updated_at=calendar.now())
    db.session.add(matter)
    db.session.commit()
    session = factories.session(end=time(12, 0))

    @given(spelt=spellings(number))
    @EXAMPLES
    def attempt(spelt):
        response = _post(client, session.id, spelt)
        booking = db.session.scalar(select(Booking).where(Booking.status == "pending"))
        if response.status_code == 303:
            # Booked: it must be the same person to every rule, so staff see the mark.
            assert booking.id_hash == privacy.lookup_hash(number)
            assert queries.satisfied_marks([booking]) == {booking.id_hash: ["XF-2026-0603"]}
            # Free the person and the place for the next try (the citizen cancels).
            services.cancel_booking(booking, "换一种写法再试", calendar.now())
            db.session.commit()
        else:
            assert response.status_code == 422 and "身份证号格式不正确" in response.text, spelt
            assert booking is None

    attempt()


@pytest.mark.parametrize("phone", ["13８00138000", "13" + "٠١٢٣٤٥٦٧٨", "13" + "०१२३४५६७८",
                                   "+86 138 0013 8000", "0086-138-0013-8000", "＋８６13800138000"])
def test_phones_in_other_digit_scripts_are_refused_or_folded(phone):
    canonical = identity.normalise_phone(phone)
    assert canonical == "13800138000" or identity.phone_error(phone) is not None
    if canonical != "13800138000":
        assert "11 位数字" in identity.phone_error(phone)


def test_people_type_spaces_hyphens_and_full_width(app, client):
    session = factories.session()
    number = factories.id_number(seq=604)
    spelt = " ".join(chr(0xFF10 + int(c)) if c.isdigit() else c for c in number)
    response = _post(client, session.id, spelt, phone="１３８ ００１３-８０００")
    assert response.status_code == 303, response.text[:300]
    booking = db.session.scalar(select(Booking))
    assert booking.id_hash == privacy.lookup_hash(number) and booking.id_last4 == number[-4:]
    assert booking.phone_hash == privacy.lookup_hash("13800138000")


def test_keyed_hashes_refuse_a_non_canonical_value(app):
    with pytest.raises(ValueError):
        privacy.lookup_hash("３３０７８１１９７００５１７１２３５")
    with pytest.raises(ValueError):
        privacy.lookup_hash("138 0013 8000")


def test_the_database_refuses_a_non_canonical_id_tail(app):
    session = factories.session()
    place_id = db.session.scalar(text("SELECT id FROM reception_place WHERE session_id = :s "
                                      "LIMIT 1"), {"s": session.id})
    row = dict(code="ZZZZ2345", session_id=session.id, place_id=place_id, name="张三",
               id_cipher="x", id_hash="a" * 64, id_last4="１２３４", phone_cipher="x",
               phone_hash="b" * 64, category="征地拆迁", summary_cipher="x", party_size=1,
               related_matter_no="", status="pending", status_reason="",
               cancelled_by_staff=False, created_at=calendar.now(),
               updated_at=calendar.now())
    for bad in ({"id_last4": "１２３４"}, {"id_last4": "123x"}, {"id_hash": "short"}):
        with pytest.raises(IntegrityError):
            db.session.add(Booking(**{**row, **bad}))
            db.session.flush()
        db.session.rollback()
    db.session.add(Booking(**row | {"id_last4": "123X"}))
    db.session.flush()
    db.session.rollback()
