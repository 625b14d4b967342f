"""Reception refuses a booking naming a matter evaluated 满意 — with the reason and the channels
still open — and writes nothing."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from portal.errors import DomainError
from portal.evaluation.interface import satisfied_matter_refusal
from portal.extensions import db
from portal.reception import services as reception
from portal.reception.models import Booking
from tests import factories as base
from tests.evaluation import factories


def _satisfied(clock):
    factories.published_result(clock)  # 6 满意 of 9: 满意, published 23 Nov 2026
    clock.set(datetime(2026, 11, 18, 10, 0))  # back to a day when the session is bookable


@pytest.mark.parametrize("typed", ["XF-2026-0031", " xf-2026-0031 ", "XF - 2026 - 0031"])
def test_the_service_refuses_and_writes_nothing(clock, typed):
    _satisfied(clock)
    session = base.session()
    with pytest.raises(DomainError) as info:
        reception.create_booking(session.id, base.booking_request(related_matter_no=typed),
                                 factories.now())
    db.session.rollback()
    message = info.value.reasons["related_matter_no"]
    assert info.value.status == 409
    assert "2026年11月23日" in message and "第三方评价" in message and "满意" in message
    assert "复查、复核" in message and "诉讼" in message and "另行提出" in message
    assert db.session.scalar(select(func.count(Booking.id))) == 0


def test_the_booking_page_refuses_and_writes_nothing(client, clock):
    _satisfied(clock)
    session = base.session()
    response = client.post(f"/reception/sessions/{session.id}",
                           data=base.booking_form(related_matter_no="xf-2026-0031"))
    assert response.status_code == 422  # the booking form, shown again with the reason
    assert "第三方评价" in response.text and "诉讼" in response.text
    assert db.session.scalar(select(func.count(Booking.id))) == 0


def test_other_matters_are_not_refused(clock):
    factories.published_result(clock, choices=["satisfied"] * 3 + ["unsatisfied"] * 6)
    clock.set(datetime(2026, 11, 18, 10, 0))
    assert satisfied_matter_refusal("XF-2026-0031") is None  # 不满意: reception goes on
    assert satisfied_matter_refusal("XF-1999-0001") is None
    assert satisfied_matter_refusal("   ") is None
    session = base.session()
    booking = base.book(session, related_matter_no="XF-2026-0031")
    assert booking.related_matter_no == "XF-2026-0031"


def test_reception_staff_see_the_mark_next_to_the_petitioner(client, auth, clock):
    _satisfied(clock)
    session = base.session()
    booking = base.book(session, id_number=factories.PETITIONER["id_number"])
    other = base.book(session)
    auth.login("reception")
    page = client.get(f"/staff/reception/sessions/{session.id}")
    assert page.text.count("评价满意：XF-2026-0031") == 1
    row = client.post(f"/staff/reception/bookings/{booking.id}/confirm",
                      headers={"HX-Request": "true"})
    assert "评价满意：XF-2026-0031" in row.text
    assert "评价满意" not in client.post(f"/staff/reception/bookings/{other.id}/confirm",
                                        headers={"HX-Request": "true"}).text
