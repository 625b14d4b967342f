"""Service-level tests: each booking rule of DESIGN.md §2, and that a refusal writes nothing."""
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from portal import calendar, identity, privacy, settings
from portal.errors import DomainError
from portal.extensions import db
from portal.reception import management, queries, services
from portal.reception.models import Booking, Place
from tests import factories


def bookings_count() -> int:
    return db.session.scalar(select(func.count(Booking.id)))


def refused(session, field=None, **overrides) -> DomainError:
    before = bookings_count()
    with pytest.raises(DomainError) as caught:
        services.create_booking(session.id, factories.booking_request(**overrides), calendar.now())
    db.session.rollback()
    assert bookings_count() == before, "a refused booking must write nothing"
    if field is not None:
        assert field in caught.value.reasons, caught.value.reasons
    return caught.value


# --- identity --------------------------------------------------------------------------------

@pytest.mark.parametrize("value, message", [
    ("", "请填写身份证号"),
    ("33078119700517123", "18 位"),
    ("3307811970051712345", "18 位"),
    ("33078119700517A23X", "格式不正确"),
    ("330781197005171230", "校验位"),
    ("330781197013171235", "校验位"),
])
def test_id_number_errors(value, message):
    assert message in identity.id_number_error(value, date(2026, 11, 18))


def test_id_number_with_impossible_birth_date_is_refused():
    from stdnum.cn import ric

    body = "33078119700231123"  # 31 February
    assert "出生日期" in identity.id_number_error(body + ric.calc_check_digit(body + "0"),
                                                  date(2026, 11, 18))
    future = factories.id_number(birth=date(2030, 1, 1))
    assert "出生日期" in identity.id_number_error(future, date(2026, 11, 18))


def test_id_number_of_older_citizen_with_post_1985_county_code_is_accepted():
    # 330781 (兰溪市) was created in 1985; people born before carry it on their cards.
    assert identity.id_number_error(factories.id_number(birth=date(1950, 3, 2)),
                                    date(2026, 11, 18)) is None


def test_id_number_lowercase_x_and_spaces_are_normalised():
    number = factories.id_number()
    spaced = f" {number[:6]} {number[6:14]} {number[14:].lower()} "
    assert identity.id_number_error(spaced, date(2026, 11, 18)) is None


def test_unknown_province_is_refused():
    from stdnum.cn import ric

    body = "99078119700517123"
    assert "省级地区码" in identity.id_number_error(body + ric.calc_check_digit(body + "0"),
                                                    date(2026, 11, 18))


@pytest.mark.parametrize("value, ok", [
    ("13812345678", True), ("19912345678", True), ("12812345678", False),
    ("1381234567", False), ("138123456789", False), ("1381234567a", False), ("", False),
])
def test_phone_format(value, ok):
    assert (identity.phone_error(value) is None) is ok


# --- booking ---------------------------------------------------------------------------------

def test_booking_is_stored_encrypted_with_a_code_and_the_first_free_place(app):
    session = factories.session()
    booking = factories.book(session, id_number=factories.id_number(seq=7), phone="13912345678")
    assert len(booking.code) == 8 and booking.status == "pending"
    raw = db.session.execute(select(Booking.id_cipher, Booking.phone_cipher, Booking.summary_cipher,
                                    Booking.id_hash)).one()
    number = factories.id_number(seq=7)
    assert number not in "".join(raw) and "13912345678" not in "".join(raw)
    assert privacy.decrypt(raw.id_cipher) == number
    assert raw.id_hash == privacy.lookup_hash(number)
    assert booking.masked_id == "*" * 14 + number[-4:]
    assert db.session.get(Place, booking.place_id).number == 1
    second = factories.book(session)
    assert db.session.get(Place, second.place_id).number == 2


def test_category_must_be_in_the_leaders_portfolio(app):
    error = refused(factories.session(), "category", category="教育")
    assert "分管" in error.reasons["category"]


@pytest.mark.parametrize("size", [0, 6, -1])
def test_party_size_is_one_to_five(app, size):
    refused(factories.session(), "party_size", party_size=size)


def test_party_size_limit_follows_settings(app):
    settings.save({"booking_max_party": "3"})
    db.session.commit()
    refused(factories.session(), "party_size", party_size=4)


def test_over_long_fields_are_refused(app):
    session = factories.session()
    refused(session, "summary", summary="很" * 501)
    refused(session, "name", name="张" * 31)
    refused(session, "related_matter_no", related_matter_no="X" * 41)


def test_one_active_booking_per_id_number(app):
    first, second = factories.session(), None
    number = factories.id_number(seq=1)
    factories.book(first, id_number=number)
    second = factories.session(day=date(2026, 11, 24))
    error = refused(second, "id_number", id_number=number)
    assert "一人一号" in error.reasons["id_number"]


def test_cancelled_booking_frees_the_person_and_the_place(app):
    session = factories.session(end=time(9, 20))  # one place
    number = factories.id_number(seq=2)
    booking = factories.book(session, id_number=number)
    assert queries.free_places([session.id])[session.id] == 0
    refused(session, id_number=factories.id_number(seq=3))  # full
    services.cancel_booking(booking, "临时有事", calendar.now())
    db.session.commit()
    assert queries.free_places([session.id])[session.id] == 1
    again = factories.book(session, id_number=number)
    assert again.place_id == booking.place_id


def test_full_session_is_refused_with_a_clear_message(app):
    session = factories.session(end=time(9, 40))  # two places
    factories.book(session)
    factories.book(session)
    error = refused(session)
    assert "名额已满" in error.message


def test_unpublished_and_cancelled_sessions_cannot_be_booked(app):
    draft = factories.session(publish=False)
    assert "尚未发布" in refused(draft).message
    live = factories.session(day=date(2026, 11, 24))
    management.cancel_session(live, "领导临时公务", factories.STAFF, calendar.now())
    db.session.commit()
    assert "已取消" in refused(live).message


# --- the booking window ----------------------------------------------------------------------

def test_booking_opens_seven_days_ahead(app, clock):
    session = factories.session(day=date(2026, 11, 30))  # Monday; opens Mon 23 Nov 00:00
    clock.set(datetime(2026, 11, 22, 23, 59))
    assert "开放预约" in refused(session).message
    clock.set(datetime(2026, 11, 23, 0, 0))
    factories.book(session)


def test_booking_closes_at_cutoff_on_last_working_day(app, clock):
    session = factories.session(day=date(2026, 11, 23))  # Monday; cut-off Friday 20 Nov 17:00
    clock.set(datetime(2026, 11, 20, 16, 59))
    factories.book(session)
    clock.set(datetime(2026, 11, 20, 17, 0))
    assert "截止" in refused(session).message


def test_cutoff_skips_statutory_holidays_and_honours_makeup_workdays(app):
    cal = calendar.WorkingCalendar()
    values = settings.current_values()
    leader = factories.leader()
    # Thu 8 Oct 2026 follows the National Day holiday: last working day is Wed 30 Sep.
    after_holiday = management.ReceptionSession(leader_id=leader.id, day=date(2026, 10, 8),
                                                start_time=time(9), end_time=time(10))
    assert services.booking_window(after_holiday, cal, values).closes_at == \
        calendar.local(date(2026, 9, 30), time(17, 0))
    # Mon 12 Oct 2026: Saturday 10 Oct is a make-up working day (调休上班).
    monday = management.ReceptionSession(leader_id=leader.id, day=date(2026, 10, 12),
                                         start_time=time(9), end_time=time(10))
    assert services.booking_window(monday, cal, values).closes_at == \
        calendar.local(date(2026, 10, 10), time(17, 0))


def test_staff_closures_and_extra_working_days_change_the_window(app):
    db.session.add(calendar.CalendarOverride(day=date(2026, 11, 20), is_working=False, note="停止接访"))
    db.session.commit()
    cal = calendar.WorkingCalendar()
    session = management.ReceptionSession(leader_id=1, day=date(2026, 11, 23),
                                          start_time=time(9), end_time=time(10))
    window = services.booking_window(session, cal, settings.current_values())
    assert window.closes_at == calendar.local(date(2026, 11, 19), time(17, 0))


def test_unknown_year_falls_back_to_weekdays(app):
    cal = calendar.WorkingCalendar()
    assert cal.is_working_day(date(2027, 1, 4)) is True    # Monday
    assert cal.is_working_day(date(2027, 1, 9)) is False   # Saturday


def test_cutoff_time_follows_settings(app, clock):
    assert settings.save({"booking_cutoff_time": "12:00"}) == {}
    db.session.commit()
    session = factories.session()
    clock.set(datetime(2026, 11, 20, 12, 0))
    assert "截止" in refused(session).message


# --- no-shows --------------------------------------------------------------------------------

def test_three_no_shows_in_ninety_days_suspend_booking_for_thirty_days(app, clock):
    number = factories.id_number(seq=9)
    for day in (date(2026, 9, 14), date(2026, 10, 19), date(2026, 11, 2)):
        factories.recorded_no_show(clock, number, day)
    session = factories.session()
    error = refused(session, "id_number", id_number=number)
    assert "暂停预约至 2026年12月2日" in error.reasons["id_number"]
    # Another person is not affected.
    factories.book(session)


def test_no_shows_outside_the_window_do_not_count(app, clock):
    number = factories.id_number(seq=10)
    for day in (date(2026, 6, 1), date(2026, 10, 19), date(2026, 11, 2)):
        factories.recorded_no_show(clock, number, day)
    factories.book(factories.session(), id_number=number)


def test_suspension_ends_after_thirty_days(app, clock):
    number = factories.id_number(seq=11)
    for day in (date(2026, 9, 14), date(2026, 10, 19), date(2026, 11, 2)):
        factories.recorded_no_show(clock, number, day)
    later = factories.session(day=date(2026, 12, 7))
    clock.set(datetime(2026, 12, 3, 9, 0))
    factories.book(later, id_number=number)


# --- lookup and cancellation -----------------------------------------------------------------

def test_lookup_needs_the_matching_phone(app):
    booking = factories.book(factories.session(), phone="13700001111")
    assert services.find_booking(booking.code.lower(), "137 0000 1111").id == booking.id
    assert services.find_booking(booking.code, "13700001112") is None
    assert services.find_booking("NOSUCHCD", "13700001111") is None
    assert services.find_booking(booking.code, "") is None


def test_cancel_needs_a_reason_and_closes_at_cutoff(app, clock):
    session = factories.session()
    booking = factories.book(session)
    with pytest.raises(DomainError) as caught:
        services.cancel_booking(booking, "  ", calendar.now())
    assert "reason" in caught.value.reasons
    clock.set(datetime(2026, 11, 20, 17, 0))
    with pytest.raises(DomainError) as caught:
        services.cancel_booking(booking, "有事", calendar.now())
    assert "截止" in caught.value.message
    db.session.rollback()
    assert db.session.get(Booking, booking.id).status == "pending"


def test_cancelled_booking_cannot_be_cancelled_twice(app):
    booking = factories.book(factories.session())
    services.cancel_booking(booking, "有事", calendar.now())
    db.session.commit()
    with pytest.raises(DomainError):
        services.cancel_booking(booking, "有事", calendar.now())


def test_schedule_lists_only_published_sessions_in_range(app):
    published = factories.session()
    factories.session(day=date(2026, 11, 24), publish=False)
    found = queries.published_sessions(date(2026, 11, 23), date(2026, 11, 29))
    assert [s.id for s in found] == [published.id]
    assert queries.published_sessions(date(2026, 11, 30), date(2026, 12, 6)) == []
    assert queries.week_start(date(2026, 11, 18)) == date(2026, 11, 16)
    assert queries.free_places([published.id]) == {published.id: 3}
    assert queries.free_places([]) == {}
    assert timedelta(0) < services.booking_window(
        published, calendar.WorkingCalendar()).closes_at - calendar.now()
