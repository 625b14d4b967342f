"""The command line operators script: users, demo seed, reception job."""
from datetime import datetime

from sqlalchemy import func, select

from portal import calendar
from portal.accounts.models import User
from portal.extensions import db
from portal.reception.models import Booking, ReceptionSession
from portal.reception.services import booking_window, is_bookable


def test_users_create(runner):
    result = runner.invoke(args=["users", "create", "--username", "Wangfang", "--role", "reception",
                                 "--password", "a-long-password", "--name", "王芳"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "wangfang"))
    assert user.role == "reception" and user.display_name == "王芳"
    again = runner.invoke(args=["users", "create", "--username", "wangfang", "--role", "admin",
                                "--password", "a-long-password"])
    assert again.exit_code != 0 and "已存在" in again.output
    short = runner.invoke(args=["users", "create", "--username", "x1y", "--role", "admin",
                                "--password", "short"])
    assert short.exit_code != 0 and "至少 12 位" in short.output
    bad_role = runner.invoke(args=["users", "create", "--username", "abc", "--role", "boss",
                                   "--password", "a-long-password"])
    assert bad_role.exit_code != 0


def test_users_create_asks_for_the_password(runner):
    result = runner.invoke(args=["users", "create", "--username", "lisi", "--role", "admin"],
                           input="a-long-password\na-long-password\n")
    assert result.exit_code == 0, result.output


def test_demo_seed_leaves_sessions_open_for_booking_now(runner, client):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    now = calendar.now()
    cal = calendar.WorkingCalendar()
    sessions = db.session.scalars(select(ReceptionSession)).all()
    open_days = {s.day for s in sessions if is_bookable(s, booking_window(s, cal), now)}
    assert len(open_days) >= 3
    statuses = set(db.session.scalars(select(Booking.status)))
    assert {"pending", "confirmed", "declined", "cancelled", "checked_in", "no_show"} <= statuses
    # Running it again with --if-empty adds no second county.
    leaders_before = db.session.scalar(select(func.count()).select_from(ReceptionSession))
    again = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert again.exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(ReceptionSession)) == leaders_before
    for url in ("/", "/reception/"):
        assert client.get(url).status_code == 200


def test_demo_seed_volume(runner):
    result = runner.invoke(args=["demo", "seed", "--bookings", "120"])
    assert result.exit_code == 0, result.output
    assert "120 extra bookings" in result.output


def test_close_past_job(runner, clock):
    from tests import factories

    session = factories.session()
    factories.book(session)
    clock.set(datetime(2026, 11, 24, 9, 0))
    result = runner.invoke(args=["reception", "close-past"])
    assert result.exit_code == 0 and "closed 1 sessions" in result.output
