"""Issue 11: the portal on two servers. Two gunicorn servers (two sync workers each) on their
own ports share one database and one Redis, configured only from the environment, as on two
machines behind nginx: a burst split across both never over-fills a session; a login made on
one works on the other (and a logout on one ends it on both); a request limit counts the
requests to both; a settings change saved on one is in force on the other's next request.

The database is PostgreSQL (a new database beside TEST_DATABASE_URL's) in .ci/run's second
stage, and one SQLite file in its first: either way both need Redis (TEST_REDIS_URL). The
servers run on the real clock, so the data is seeded for today, whatever day that is.
"""
from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from portal import calendar, config, create_app
from portal.accounts.services import create_user
from portal.extensions import db
from portal.reception.models import Booking
from portal.reception.services import FULL
from portal.reception.window import booking_window
from tests import factories
from tests.conftest import PG_URL, base_config
from tests.helpers import ROOT, flushed_redis
from tests.test_backup_restore import new_postgres_database

pytestmark = pytest.mark.servers

HOST = "xf.example.test"  # the public name nginx would pass on (TRUSTED_HOSTS)
SECRET_KEY, DATA_KEY = "two-servers-secret-key", "two-servers-data-key"
PASSWORD = "correct-horse-battery"
WORKERS = 2
BIN = Path(sys.executable).parent
# The access log: worker pid, status, method, path, query (a probe names one request).
ACCESS_FORMAT = "%(p)s %(s)s %(m)s %(U)s ?%(q)s"


# --- two servers ---------------------------------------------------------------------------------

@dataclass
class Answer:
    server: str
    status: int
    headers: object
    text: str

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


@dataclass
class Server:
    name: str
    port: int
    access_log: Path
    error_log: Path
    proc: subprocess.Popen | None = None

    def request(self, method: str, path: str, form: dict | None = None,
                cookies: dict | None = None, client: str = "10.9.0.1") -> Answer:
        """One request over a fresh connection, as nginx would forward it (PROXY_COUNT=1)."""
        headers = {"Host": HOST, "X-Forwarded-For": client}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return Answer(self.name, response.status, response.headers, response.read().decode())
        finally:
            conn.close()

    def served_by(self, probe: str) -> str:
        """The worker pid that answered the request carrying ``probe`` (its access-log line is
        written just after the answer)."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for line in self.access_log.read_text().splitlines():
                if line.endswith(f"?probe={probe}"):
                    return line.split()[0]
            time.sleep(0.05)
        raise AssertionError(f"server {self.name} logged no request with probe {probe}")

    def on_every_worker(self, path: str, cookies: dict | None = None) -> list[Answer]:
        """GET ``path`` until every worker of this server has answered it; every answer.
        Requests go four at a time: one after another, an idle sync worker may win every
        accept on a loaded machine, and the other workers would never be asked."""
        answers, workers = [], set()
        with ThreadPoolExecutor(max_workers=4) as pool:
            for n in range(40):
                probes = [f"{time.monotonic_ns()}{n}x{i}" for i in range(4)]
                answers += pool.map(
                    lambda probe: self.request("GET", f"{path}?probe={probe}", cookies=cookies),
                    probes)
                workers.update(self.served_by(probe) for probe in probes)
                if len(workers) == WORKERS:
                    return answers
        raise AssertionError(f"one worker of server {self.name} answered 160 requests")


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:  # held together, so the ports differ
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _environment(database_url: str, redis_url: str) -> dict:
    """What each server's systemd unit would set: the same keys, database and Redis."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("RATELIMIT_", "GUNICORN_", "DB_")) and k not in (
               "PUBLIC_BASE_URL", "HTTPS", "TRUSTED_HOSTS", "SESSION_COOKIE_SECURE")}
    env.update(DATABASE_URL=database_url, REDIS_URL=redis_url, SECRET_KEY=SECRET_KEY,
               DATA_KEY=DATA_KEY, TRUSTED_HOSTS=HOST, PROXY_COUNT="1",
               PYTHONDONTWRITEBYTECODE="1")
    return env


def _start(server: Server, env: dict) -> None:
    with open(server.error_log, "w") as stderr:
        server.proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "/dev/null", "-w", str(WORKERS),
             "-b", f"127.0.0.1:{server.port}", "--access-logfile", str(server.access_log),
             "--access-logformat", ACCESS_FORMAT, "wsgi:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True)


def _wait_until_ready(server: Server) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if server.request("GET", "/reception/lookup").status == 200:
                return
        except OSError:
            pass
        if server.proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"server {server.name} did not start:\n{server.error_log.read_text()}")
        time.sleep(0.2)


def _stop(server: Server) -> None:
    server.proc.send_signal(signal.SIGTERM)
    try:
        server.proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.proc.pid, signal.SIGKILL)  # this server's own process group only
        server.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def redis_url():
    with flushed_redis() as url:
        yield url


@pytest.fixture(scope="module")
def shared_database(tmp_path_factory, redis_url):
    if PG_URL:
        with new_postgres_database(PG_URL, "servers") as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('shared') / 'portal.sqlite3'}"


@pytest.fixture(scope="module")
def servers(tmp_path_factory, shared_database, redis_url):
    workdir = tmp_path_factory.mktemp("servers")
    env = _environment(shared_database, redis_url)
    # Migrated once, in its own process, as a release would be.
    done = subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    started = [Server(name, port, workdir / f"{name}-access.log", workdir / f"{name}-error.log")
               for name, port in zip("AB", _free_ports(2), strict=True)]
    try:
        for server in started:
            _start(server, env)
        for server in started:
            _wait_until_ready(server)
        yield started
    finally:
        for server in started:
            if server.proc is not None:
                _stop(server)
    for server in started:
        assert "Traceback" not in server.error_log.read_text(), server.error_log.read_text()[-3000:]


@pytest.fixture
def two_servers(servers):
    """The servers; each one's log lines written during the test are shown when it fails."""
    offsets = {s.name: s.error_log.stat().st_size for s in servers}
    yield servers
    for server in servers:
        with open(server.error_log) as log:
            log.seek(offsets[server.name])
            print(f"--- server {server.name} (port {server.port}) error log ---\n{log.read()}")


# --- a browser behind one host name, and the data ----------------------------------------------

@dataclass
class Browser:
    """Cookies for HOST, whichever server nginx picks."""
    cookies: dict = field(default_factory=dict)

    def visit(self, server: Server, method: str, path: str, form: dict | None = None) -> Answer:
        answer = server.request(method, path, form, self.cookies)
        for header in answer.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value, _, attributes = rest.partition(";")
            if "max-age=0" in attributes.lower().replace(" ", ""):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return answer

    def log_in(self, server: Server, username: str) -> None:
        token = csrf(self.visit(server, "GET", "/staff/login"))
        answer = self.visit(server, "POST", "/staff/login", {
            "csrf_token": token, "username": username, "password": PASSWORD})
        assert answer.status == 303, answer.text[:500]


def csrf(answer: Answer) -> str:
    return re.search(r'name="csrf_token"[^>]* value="([^"]+)"', answer.text).group(1)


class Seeder:
    """Writes through the portal's own services, in this process; each call commits and ends
    its transaction, so no lock of ours is held while the servers work."""

    leaders = iter(["王建国", "李明华", "赵志刚", "孙立新", "周文斌", "吴海峰"])

    def session(self, places: int) -> int:
        now = calendar.now()
        end = (datetime(2000, 1, 1, 8) + timedelta(minutes=10 * places)).time()
        made = factories.session(factories.leader(name=next(self.leaders)), day=_bookable_day(now),
                                 start=clock_time(8, 0), end=end, slot=10)
        return self._done(made.id)

    def staff(self, role: str) -> str:
        user = create_user(f"{role}-two", role, PASSWORD, f"{role} 双机")
        db.session.commit()
        return self._done(user.username)

    def bookings(self, session_id: int) -> list[tuple[str, int, str]]:
        """(code, place, status) of every booking of the session."""
        return self._done([tuple(row) for row in db.session.execute(sa.select(
            Booking.code, Booking.place_id, Booking.status).where(
            Booking.session_id == session_id))])

    @staticmethod
    def _done(value):
        db.session.commit()  # on SQLite even a read here began a write transaction
        return value


def _bookable_day(now: datetime) -> date:
    """The first working day whose booking window is open now and stays open for hours."""
    cal = calendar.WorkingCalendar()
    for ahead in range(1, 30):
        day = now.date() + timedelta(days=ahead)
        window = booking_window(SimpleNamespace(day=day), cal)
        if cal.is_working_day(day) and window.opens_at <= now <= window.closes_at - timedelta(hours=2):
            return day
    raise AssertionError(f"no session day is open for booking at {now}")


@pytest.fixture
def portal(shared_database, servers, tmp_path, clock):
    clock.set(datetime.now(calendar.TZ))  # the servers run on the real clock: seed for it
    app = create_app({**base_config(tmp_path, shared_database), "SECRET_KEY": SECRET_KEY,
                      "DATA_KEY": DATA_KEY})
    with app.app_context():
        yield Seeder()
        db.session.remove()
        db.engine.dispose()


def booking(n: int, token: str, **fields) -> dict:
    """The booking form of the n-th distinct citizen of this module."""
    return {**factories.booking_form(
        id_number=factories.id_number(birth=date(1960, 1, 1) + timedelta(days=n), seq=n % 1000),
        phone=factories.phone(20_000_000 + n)), "csrf_token": token, **fields}


# --- the tests -----------------------------------------------------------------------------------

def test_a_burst_split_across_two_servers_never_overfills_a_session(two_servers, portal):
    servers = two_servers
    session_id = portal.session(places=50)
    path = f"/reception/sessions/{session_id}"
    browser = Browser()
    token = csrf(browser.visit(servers[0], "GET", path))
    forms = [booking(n, token) for n in range(64)]
    start = threading.Barrier(64)

    def book(n: int) -> Answer:
        start.wait(timeout=60)  # 64 connections at once, half to each server
        return servers[n % 2].request("POST", path, forms[n], browser.cookies, f"10.11.{n}.1")

    with ThreadPoolExecutor(64) as pool:
        answers = list(pool.map(book, range(64)))
    assert not [a for a in answers if a.status >= 500], Counter((a.server, a.status) for a in answers)
    booked = [a for a in answers if a.status == 303]
    refused = [a for a in answers if a.status != 303]
    assert len(booked) == 50, Counter((a.server, a.status) for a in answers)
    # Every other answer is the form again, saying why.
    assert all(a.status == 422 and FULL in a.text for a in refused), \
        [(a.server, a.status, a.text[:300]) for a in refused if FULL not in a.text]
    assert {a.server for a in booked} == {"A", "B"}  # both servers wrote bookings
    codes = sorted(re.search(r"/reception/bookings/([A-Z0-9]+)", a.location).group(1)
                   for a in booked)
    stored = portal.bookings(session_id)
    assert sorted(code for code, _place, _status in stored) == codes  # no booking unanswered
    assert len({place for _code, place, _status in stored}) == 50
    assert {status for _code, _place, status in stored} <= {"pending", "confirmed"}


def test_a_login_on_one_server_is_a_login_on_the_other(two_servers, portal):
    server_a, server_b = two_servers
    username = portal.staff("reception")
    browser = Browser()
    browser.log_in(server_a, username)
    page = browser.visit(server_b, "GET", "/staff/reception/")
    assert page.status == 200 and "reception 双机" in page.text
    copied = dict(browser.cookies)
    # Without the cookie B sends a stranger to the login page.
    stranger = Browser().visit(server_b, "GET", "/staff/reception/")
    assert stranger.status in (302, 303) and "/staff/login" in stranger.location
    # Logging out on B ends the session everywhere: the copied cookie no longer opens A.
    assert browser.visit(server_b, "POST", "/staff/logout", {"csrf_token": csrf(page)}).status == 303
    stale = Browser(copied).visit(server_a, "GET", "/staff/reception/")
    assert stale.status in (302, 303) and "/staff/login" in stale.location


def test_a_request_limit_counts_the_requests_to_both_servers(two_servers):
    """The lookup limit, 20 per 10 minutes per address: 12 to A and 12 to B, four at a time."""
    servers = two_servers
    browser = Browser()
    token = csrf(browser.visit(servers[0], "GET", "/reception/lookup"))

    def lookup(n: int) -> Answer:
        return servers[n % 2].request("POST", "/reception/lookup", {
            "csrf_token": token, "code": f"QX{n:06d}", "phone": "13800138000"},
            browser.cookies, client="10.12.0.1")

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lookup, range(24)))
    assert Counter(a.server for a in answers) == {"A": 12, "B": 12}
    # Counted apart, each server would let all 12 through.
    assert sorted(a.status for a in answers) == [422] * 20 + [429] * 4, \
        Counter((a.server, a.status) for a in answers)
    assert all("操作过于频繁" in a.text for a in answers if a.status == 429)


def test_a_settings_change_on_one_server_is_in_force_on_the_other_at_once(two_servers, portal):
    server_a, server_b = two_servers
    path = f"/reception/sessions/{portal.session(places=6)}"
    admin = Browser()
    admin.log_in(server_a, portal.staff("admin"))

    def save_on_a(**values):
        token = csrf(admin.visit(server_a, "GET", "/staff/settings"))
        saved = admin.visit(server_a, "POST", "/staff/settings", {"csrf_token": token, **values})
        assert saved.status == 303, saved.text[:1000]

    phone = "0579-87650011"
    # Every worker of B has shown the rules in force (any copy a worker keeps is warm).
    for page in server_b.on_every_worker(path):
        assert "不超过 5 人" in page.text and phone not in page.text
    save_on_a(booking_max_party="2", bureau_phone=phone)
    # B's very next requests, on every worker: the new party size and the footer's phone.
    for page in server_b.on_every_worker(path):
        assert "不超过 2 人" in page.text and phone in page.text, "B still applies the old rules"
    citizen = Browser()
    token = csrf(citizen.visit(server_b, "GET", path))
    form = booking(500, token, party_size="3")
    refused = citizen.visit(server_b, "POST", path, form)
    assert refused.status == 422 and "来访人数为 1–2 人" in refused.text
    # Changed back on A: B takes the party of three at once.
    save_on_a(booking_max_party="5")
    assert citizen.visit(server_b, "POST", path, form).status == 303


# --- past max_connections: PgBouncer in transaction mode -----------------------------------------

@pytest.mark.parametrize("pgbouncer", ["0", "1"])
def test_with_db_pgbouncer_psycopg_prepares_no_statement(monkeypatch, tmp_path, pgbouncer):
    """psycopg prepares a statement run five times on one connection; behind PgBouncer in
    transaction mode the next transaction may reach a server connection that lacks it."""
    if not PG_URL:
        pytest.skip("needs PostgreSQL: runs in .ci/run's second stage (TEST_DATABASE_URL)")
    monkeypatch.setenv("DB_PGBOUNCER", pgbouncer)
    options = config.from_environment(str(tmp_path))["SQLALCHEMY_ENGINE_OPTIONS"]
    engine = sa.create_engine(PG_URL, **options)
    try:
        with engine.connect() as conn:
            for _ in range(8):
                conn.execute(sa.text("SELECT count(*) FROM pg_class WHERE relname = :name"),
                             {"name": "booking"})
            prepared = conn.exec_driver_sql("SELECT count(*) FROM pg_prepared_statements").scalar()
    finally:
        engine.dispose()
    assert (prepared == 0) is (pgbouncer == "1"), prepared
