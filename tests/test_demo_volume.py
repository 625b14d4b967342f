"""The benchmark volume (``demo seed --bookings N --matters M``): bulk rows that keep every
constraint, decrypt, and render on the pages the benchmark measures (SQLite, and PostgreSQL
when TEST_DATABASE_URL is set)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from portal import privacy
from portal.casework.models import HandOver, ReceptionRecord
from portal.demo_volume import PER_SESSION, VOLUME_CODE_LENGTH, volume_code
from portal.evaluation.models import Hearing, Matter, OpinionLetter, PanelMember
from portal.evaluation.poll_records import Poll
from portal.extensions import db
from portal.reception.models import (
    PERSON_ACTIVE,
    PLACE_HOLDING,
    Booking,
    Place,
    ReceptionSession,
)
from tests import factories

BOOKINGS, MATTERS = 2000, 200


@pytest.fixture
def seeded(app, runner):
    result = runner.invoke(args=["demo", "seed", "--bookings", str(BOOKINGS),
                                 "--matters", str(MATTERS)])
    assert result.exit_code == 0, result.output
    assert f"{BOOKINGS} extra bookings" in result.output
    assert f"{MATTERS} extra evaluation matters" in result.output
    return app


def _volume_bookings():
    return select(Booking).where(func.length(Booking.code) == VOLUME_CODE_LENGTH)


def test_counts_and_shape(seeded):
    volume = db.session.scalars(_volume_bookings()).all()
    assert len(volume) == BOOKINGS
    sessions = {b.session_id for b in volume}
    assert len(sessions) == BOOKINGS // PER_SESSION
    places = db.session.scalar(select(func.count(Place.id)).where(Place.session_id.in_(sessions)))
    assert places == len(sessions) * PER_SESSION
    assert all(s.closed and s.day < seeded_today() for s in db.session.scalars(
        select(ReceptionSession).where(ReceptionSession.id.in_(sessions))))
    # Only past statuses, never one that holds a person's single active booking.
    assert {b.status for b in volume} == {"checked_in", "no_show", "cancelled", "declined"}
    assert db.session.scalar(select(func.count(Matter.id))) == MATTERS + 8  # + the demo's
    published = db.session.scalar(select(func.count(Hearing.id)).where(
        Hearing.result_published_at.is_not(None), Hearing.matter_id > 8))
    assert published == MATTERS // 10
    assert db.session.scalar(select(func.count(PanelMember.id)).where(
        PanelMember.hearing_id.in_(select(Hearing.id).where(Hearing.matter_id > 8)))) \
        == 9 * published
    assert db.session.scalar(select(func.count(HandOver.id)).where(
        HandOver.status == "open")) >= 1


def seeded_today():
    from portal import calendar

    return calendar.now().date()


def test_the_schema_still_holds(seeded):
    # Every index the models declare exists (nothing was dropped for speed) ...
    inspector = sa.inspect(db.engine)
    for table in (Booking.__table__, HandOver.__table__, Matter.__table__, Poll.__table__):
        declared = {i.name for i in table.indexes}
        assert declared <= {i["name"] for i in inspector.get_indexes(table.name)}
    # ... and the rules they enforce hold on the whole table.
    one_place = select(Booking.place_id).where(Booking.status.in_(PLACE_HOLDING)) \
        .group_by(Booking.place_id).having(func.count() > 1)
    assert db.session.execute(one_place).all() == []
    one_person = select(Booking.id_hash).where(Booking.status.in_(PERSON_ACTIVE)) \
        .group_by(Booking.id_hash).having(func.count() > 1)
    assert db.session.execute(one_person).all() == []
    per_session = select(Booking.session_id, Booking.id_hash) \
        .where(Booking.status.in_(PLACE_HOLDING)) \
        .group_by(Booking.session_id, Booking.id_hash).having(func.count() > 1)
    assert db.session.execute(per_session).all() == []
    assert db.session.scalar(select(func.count(func.distinct(Booking.code)))) == \
        db.session.scalar(select(func.count(Booking.id)))
    if db.engine.dialect.name == "sqlite":
        conn = db.session.connection()
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    # Records point at checked-in visitors; letters at closed polls of their hearing.
    assert db.session.scalar(select(func.count(ReceptionRecord.id)).join(
        Booking, Booking.id == ReceptionRecord.booking_id).where(
        Booking.status != "checked_in")) == 0
    assert db.session.scalar(select(func.count(OpinionLetter.id)).join(
        Poll, Poll.id == OpinionLetter.poll_id).where(
        Poll.hearing_id != OpinionLetter.hearing_id)) == 0


def test_ciphertexts_are_real_and_match_their_hashes(seeded):
    for booking in db.session.scalars(_volume_bookings().limit(60)):
        id_number = privacy.decrypt(booking.id_cipher)
        assert privacy.lookup_hash(id_number) == booking.id_hash
        assert id_number[-4:] == booking.id_last4
        assert privacy.lookup_hash(booking.phone) == booking.phone_hash
        assert booking.summary


def test_volume_codes_are_unique_and_unlike_real_ones():
    codes = {volume_code(i) for i in range(1, 50_001)}
    assert len(codes) == 50_000
    assert all(len(c) == VOLUME_CODE_LENGTH for c in codes)


def test_new_rows_after_the_bulk_get_fresh_ids(seeded):
    # PostgreSQL's sequences were moved past the ids the bulk assigned.
    session = factories.session()
    booking = factories.book(session)
    db.session.commit()
    assert booking.id > db.session.scalar(select(func.max(Booking.id)).where(
        Booking.id != booking.id))


def test_the_benchmarked_pages_render(seeded, client):
    busiest = db.session.scalar(
        select(Booking.session_id).where(func.length(Booking.code) == VOLUME_CODE_LENGTH)
        .order_by(Booking.session_id.desc()).limit(1))
    result = db.session.scalar(select(Hearing.id).where(Hearing.matter_id > 8)
                               .order_by(Hearing.id.desc()).limit(1))
    for url in ("/", "/reception/", "/evaluation/notices/", "/evaluation/results/",
                f"/evaluation/results/{result}", "/evaluation/feed.xml"):
        assert client.get(url).status_code == 200, url
    assert client.post("/staff/login", data={"username": "jiedai",
                                             "password": "demo-reception-2026"}).status_code == 303
    day = client.get(f"/staff/reception/sessions/{busiest}/day")
    assert day.status_code == 200
    # Every visitor holding a place is listed (cancelled and declined ones are not).
    codes = db.session.scalars(select(Booking.code).where(
        Booking.session_id == busiest, Booking.status.in_(PLACE_HOLDING))).all()
    assert len(codes) > PER_SESSION // 2 and all(c in day.text for c in codes)
    supervision = client.get("/staff/supervision/")
    assert supervision.status_code == 200
