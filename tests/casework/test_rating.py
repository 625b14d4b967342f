"""The citizen rates a concluded case once (评价): POST /reception/bookings/<code>/rating, with
the phone number asked again as cancelling asks it; the rating is shown back to them and to
staff on the supervision list and the leaders' and units' ledgers."""
from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from portal import audit, create_app, events
from portal.casework import services
from portal.casework.models import HandOverRating, ReceptionRecord
from portal.extensions import db
from portal.reception.models import Booking
from tests import factories
from tests.casework import builders
from tests.casework.test_handover_concurrency import at_once
from tests.conftest import PortalClient, base_config
from tests.factories import STAFF


def booking_of(handover) -> Booking:
    record = db.session.get(ReceptionRecord, handover.record_id)
    return db.session.get(Booking, record.booking_id)


def rate_url(booking: Booking) -> str:
    return f"/reception/bookings/{booking.code}/rating"


def ratings() -> list[tuple[int, str, str]]:
    db.session.expire_all()
    return [(r.handover_id, r.rating, r.comment) for r in db.session.scalars(select(HandOverRating))]


@pytest.fixture
def concluded(app, clock):
    h = builders.handover(clock, builders.unit())
    now = builders.at(clock, date(2026, 12, 10))
    services.conclude(h, "补偿款差额已补发到位", date(2026, 12, 9), STAFF, now)
    db.session.commit()
    return h


def verify(client, booking: Booking) -> None:
    assert client.post(f"/reception/bookings/{booking.code}/progress",
                       data={"code": booking.code, "phone": booking.phone}).status_code == 303


def test_rating_once_and_it_is_shown(client, concluded, monkeypatch):
    heard = []
    monkeypatch.setattr(events, "_subscribers", [*events._subscribers,
                                                 ("handover.rate", heard.append)])
    booking = booking_of(concluded)
    verify(client, booking)
    response = client.post(rate_url(booking), data={"rating": "basically_satisfied",
                                                     "comment": "办得还算及时", "phone": booking.phone})
    assert response.status_code == 303
    assert response.location.endswith(f"/reception/bookings/{booking.code}/progress#rating")
    assert ratings() == [(concluded.id, "basically_satisfied", "办得还算及时")]
    assert [(e.name, e.object_id, e.audited, e.detail) for e in heard] == [
        ("handover.rate", concluded.id, False, {"rating": "basically_satisfied"})]
    assert db.session.scalar(select(func.count(audit.AuditEntry.id)).where(
        audit.AuditEntry.action == "handover.rate")) == 0  # the citizen's act, not staff's
    page = client.get(f"/reception/bookings/{booking.code}/progress").text
    assert "感谢您的评价" in page and "基本满意" in page and "办得还算及时" in page
    assert "提交评价" not in page
    second = client.post(rate_url(booking), data={"rating": "unsatisfied",
                                                   "phone": booking.phone})
    assert second.status_code == 409 and "您已评价过" in second.text
    assert ratings() == [(concluded.id, "basically_satisfied", "办得还算及时")]


def test_the_phone_is_asked_again(client, concluded):
    booking = booking_of(concluded)
    verify(client, booking)
    response = client.post(rate_url(booking), data={"rating": "satisfied"})
    assert response.status_code == 422 and "请填写预约时的手机号码" in response.text
    response = client.post(rate_url(booking), data={"rating": "satisfied", "phone": "13900000000"})
    assert response.status_code == 422 and "手机号码与预约时填写的不一致" in response.text
    assert ratings() == []


def test_without_code_and_phone_nothing_is_shown(client, concluded):
    booking = booking_of(concluded)
    response = client.post(rate_url(booking), data={"rating": "satisfied", "phone": "13900000000"})
    assert response.status_code == 422 and "预约码或手机号码不正确" in response.text
    assert "县住建局" not in response.text and "补偿款" not in response.text
    assert ratings() == []


def test_a_rating_before_the_conclusion_is_refused(client, app, clock):
    h = builders.handover(clock, builders.unit())
    booking = booking_of(h)
    verify(client, booking)
    assert "提交评价" not in client.get(f"/reception/bookings/{booking.code}/progress").text
    response = client.post(rate_url(booking), data={"rating": "satisfied", "phone": booking.phone})
    assert response.status_code == 409 and "办结后才能评价" in response.text
    answered = builders.answered(clock, factories.session(day=date(2026, 11, 30)))
    other = db.session.get(Booking, answered.booking_id)
    response = client.post(rate_url(other), data={"rating": "satisfied", "phone": other.phone})
    assert response.status_code == 409
    assert ratings() == []


@pytest.mark.parametrize("data, message", [
    ({"rating": "very_good"}, "请选择满意、基本满意或不满意"),
    ({}, "请选择满意、基本满意或不满意"),
    ({"rating": "satisfied", "comment": "好" * 501}, "评价意见最多 500 字"),
])
def test_a_bad_rating_is_a_422(client, concluded, data, message):
    booking = booking_of(concluded)
    response = client.post(rate_url(booking), data={**data, "phone": booking.phone})
    assert response.status_code == 422 and message in response.text and "错误：" in response.text
    assert ratings() == []


def test_the_service_checks_the_choice_and_the_comment(app, concluded, clock):
    from portal.casework import tracking
    from portal.errors import DomainError

    for rating, comment in (("great", ""), ("satisfied", "x" * 501)):
        with pytest.raises(DomainError) as refused:
            tracking.rate(concluded, rating, comment, clock.current)
        assert refused.value.status == 422
    assert tracking.rate(concluded, "satisfied", "x" * 500, clock.current).id


def test_a_post_without_csrf_token_is_400(tmp_path, database_url, clock):
    app = create_app({**base_config(tmp_path, database_url), "WTF_CSRF_ENABLED": True})
    app.test_client_class = PortalClient
    with app.app_context():
        h = builders.handover(clock, builders.unit())
        services.conclude(h, "已答复", date(2026, 11, 23), STAFF, clock.current)
        db.session.commit()
        booking = booking_of(h)
        client = app.test_client()
        response = client.post(rate_url(booking), data={"rating": "satisfied",
                                                         "phone": booking.phone})
        assert response.status_code == 400 and "安全校验失败" in response.text
        assert ratings() == []
        db.session.remove()
        db.engine.dispose()


def test_simultaneous_ratings_record_exactly_one(app, client, tmp_path, clock, concluded):
    booking = booking_of(concluded)
    verify(client, booking)  # a session cookie for the workers
    payloads = [{"rating": ("satisfied", "unsatisfied")[i % 2], "comment": f"第 {i} 次",
                 "phone": booking.phone} for i in range(6)]
    statuses = at_once(app, client, tmp_path, clock, rate_url(booking), payloads)
    assert statuses.count(303) == 1 and statuses.count(409) == 5
    assert db.session.scalar(select(func.count(HandOverRating.id))) == 1


# --- staff see the ratings -----------------------------------------------------------------------

def rate(client, h, rating: str) -> None:
    booking = booking_of(h)
    assert client.post(rate_url(booking), data={"rating": rating,
                                                "phone": booking.phone}).status_code == 303


def test_ratings_on_the_supervision_list_and_ledgers(client, auth, app, clock):
    jia = factories.leader("甲副县长", ("征地拆迁",))
    unit = builders.unit()
    made = [builders.handover(clock, unit, factories.session(jia, day=day), name=name)
            for day, name in ((date(2026, 11, 23), "王五"), (date(2026, 11, 30), "赵六"),
                              (date(2026, 12, 7), "孙七"))]
    now = builders.at(clock, date(2026, 12, 10))
    for h in made[:2]:
        services.conclude(h, "已办结答复", date(2026, 12, 9), STAFF, now)
    db.session.commit()
    rate(client, made[0], "satisfied")
    rate(client, made[1], "unsatisfied")
    auth.login()
    page = client.get("/staff/supervision/?state=all").text
    assert "群众评价" in page
    for h, label in zip(made, ("满意", "不满意", "—"), strict=True):
        row = page[page.index(f'data-handover="{h.id}"'):]
        row = row[:row.index("</tr>")]
        assert f">{label}</td>" in row
    counts = {"satisfied": "1", "basically_satisfied": "0", "unsatisfied": "1"}
    for path in (f"/staff/ledgers/leaders/{jia.id}", f"/staff/ledgers/units/{unit.id}"):
        page = client.get(path).text
        assert dict(re.findall(r'data-rating-count="(\w+)">(\d+)<', page)) == counts, path
        assert 'data-rating="satisfied">满意<' in page and 'data-rating="unsatisfied">不满意<' in page
    page = client.get("/staff/ledgers/leaders/").text
    row = page[page.index(f'data-leader="{jia.id}"'):]
    assert dict(re.findall(r'data-rating-count="(\w+)">(\d+)<', row[:row.index("</tr>")])) == counts
