"""No N+1 on the busy public pages: the statement count does not grow with the data."""
from datetime import date, timedelta

from tests import factories
from tests.helpers import count_statements


def make_sessions(n: int):
    made = []
    for i in range(n):
        leader = factories.leader(f"领导{i}", ["征地拆迁", "城乡建设"])
        session = factories.session(leader, day=date(2026, 11, 23) + timedelta(days=i % 2))
        factories.book(session)
        made.append(session)
    return made


def statements_for(client, url: str) -> int:
    client.get(url)  # warm-up: first-request work (e.g. loading settings) is not the point
    with count_statements() as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def test_schedule_and_home_do_not_grow_with_sessions(client):
    make_sessions(2)
    small = {url: statements_for(client, url) for url in ("/reception/", "/")}
    make_sessions(10)
    large = {url: statements_for(client, url) for url in ("/reception/", "/")}
    assert small == large, (small, large)
    # Settings and the working calendar are kept per process (portal/reference.py): one
    # version check instead of reading them.
    assert large["/reception/"] <= 8 and large["/"] <= 7, large


def test_session_page_is_a_handful_of_statements(client):
    session = make_sessions(1)[0]
    for _ in range(2):
        factories.book(session)
    url = f"/reception/sessions/{session.id}"
    count = statements_for(client, url)
    # BEGIN, the session with its leader, the leader's portfolio, the reference version, the
    # free and total places in one statement.
    assert count <= 5, count
    fragment = statements_for(client, f"{url}/places")
    assert fragment <= count


def test_staff_session_page_does_not_grow_with_bookings(client, auth):
    session = make_sessions(1)[0]
    auth.login()
    url = f"/staff/reception/sessions/{session.id}"
    one = statements_for(client, url)
    factories.book(session)
    factories.book(session)
    assert statements_for(client, url) == one
