"""Issue 10: booking and lookup limits per address *and* per ID number / booking code, the
client address behind a proxy, and one limit holding across two gunicorn workers sharing Redis.
"""
from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest

from portal import create_app, privacy
from portal.extensions import db, limiter
from tests import factories
from tests.conftest import PortalClient, base_config
from tests.helpers import ROOT, flushed_redis

PHONE = "13800138000"


@pytest.fixture
def limited_app(tmp_path, database_url):
    """Limits on, counted in this process's memory."""
    limiter._storage_dead = False  # a singleton: an earlier test may have left it on fallback
    app = create_app({**base_config(tmp_path, database_url), "RATELIMIT_ENABLED": True})
    app.test_client_class = PortalClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def post(client, url, data, address):
    return client.post(url, data=data, environ_base={"REMOTE_ADDR": address}).status_code


def counter_keys() -> list[str]:
    return list(limiter.storage.storage)  # limits' MemoryStorage: key -> count


# --- 5. per ID number: booking and 候补 -------------------------------------------------------------

def test_one_id_number_is_limited_from_any_number_of_addresses(limited_app):
    client = limited_app.test_client()
    session = factories.session()
    full, _ = factories.full_session(places=1)
    number = factories.id_number(seq=77)
    form = factories.booking_form(id_number=number, phone=PHONE)
    # One booking, then "already booked" refusals, each from its own address: the address
    # limit (60 an hour) never comes near; the ID number's (10 a day) does.
    statuses = [post(client, f"/reception/sessions/{session.id}", form, f"10.1.0.{i}")
                for i in range(10)]
    assert statuses == [303] + [422] * 9
    assert post(client, f"/reception/sessions/{session.id}", form, "10.1.1.1") == 429
    # 候补 shares the count: the same number is refused there too.
    assert post(client, f"/reception/sessions/{full.id}/waitlist", form, "10.1.1.2") == 429
    # The number as typed with full-width digits and spaces is the same number.
    spaced = " ".join(number).translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    assert post(client, f"/reception/sessions/{session.id}",
                {**form, "id_number": spaced}, "10.1.1.3") == 429
    # Another person at the same address is not held up.
    other = factories.booking_form(id_number=factories.id_number(seq=78), phone="13900139000")
    assert post(client, f"/reception/sessions/{session.id}", other, "10.1.1.1") == 303
    # The counters are keyed by the keyed hash, never by the number itself.
    keys = counter_keys()
    assert any(privacy.lookup_hash(number) in key for key in keys), keys
    assert not [key for key in keys if number in key or number[-8:] in key]


def test_a_malformed_id_number_is_left_to_the_form_and_the_address_limit(limited_app):
    client = limited_app.test_client()
    session = factories.session()
    form = factories.booking_form(id_number="12345")
    statuses = [post(client, f"/reception/sessions/{session.id}", form, f"10.2.0.{i}")
                for i in range(15)]
    assert statuses == [422] * 15  # the form's message every time, never "too many"


# --- 5. per booking code: lookup, progress, cancel, accept, rating ---------------------------------

RECEIPT_FORMS = {
    "lookup": lambda code, phone: ("/reception/lookup", {"code": code, "phone": phone}),
    "progress": lambda code, phone: (f"/reception/bookings/{code}/progress",
                                     {"code": code, "phone": phone}),
    "cancel": lambda code, phone: (f"/reception/bookings/{code}/cancel",
                                   {"reason": "行程有变", "phone": phone}),
    "rating": lambda code, phone: (f"/reception/bookings/{code}/rating",
                                   {"rating": "satisfied", "phone": phone}),
    "accept": lambda code, phone: (f"/reception/bookings/{code}/accept", {"phone": phone}),
}


def test_guessing_the_phone_for_one_code_runs_out_of_tries_across_every_form(limited_app):
    client = limited_app.test_client()
    booking = factories.book(factories.session(), phone=PHONE)
    code = booking.code
    # Ten wrong phone numbers, spread over the five forms and ten addresses (and one code
    # typed in lower case): each address is far below its own limit.
    guesses = ["lookup", "lookup", "progress", "progress", "cancel", "cancel", "rating",
               "rating", "lookup", "progress"]
    for i, form in enumerate(guesses):
        url, data = RECEIPT_FORMS[form](code.lower() if i == 0 else code, f"1390000{i:04d}")
        assert post(client, url, data, f"10.3.0.{i}") == 422, form
    # Now even the right phone number is refused, from any address and any form.
    for i, form in enumerate(RECEIPT_FORMS):
        url, data = RECEIPT_FORMS[form](code, PHONE)
        assert post(client, url, data, f"10.3.1.{i}") == 429, form
    # Another booking's code is not affected.
    other = factories.book(factories.session(), id_number=factories.id_number(seq=79),
                           phone="13700137000")
    url, data = RECEIPT_FORMS["lookup"](other.code, "13700137000")
    assert post(client, url, data, "10.3.0.0") == 303


def test_a_citizen_who_knows_the_phone_is_never_counted(limited_app):
    booking = factories.book(factories.session(), phone=PHONE)
    statuses = [post(limited_app.test_client(), "/reception/lookup",
                     {"code": booking.code, "phone": PHONE}, f"10.4.0.{i}") for i in range(15)]
    assert statuses == [303] * 15
    keys = counter_keys()
    assert not [key for key in keys if booking.code in key], keys  # only its hash, if at all


def test_a_form_too_large_to_read_does_not_knock_the_limiter_off_redis(limited_app):
    """The per-ID key reads the form; a 413 there must not look like a storage failure (which
    would move every later count into this worker's memory)."""
    client = limited_app.test_client()
    url = f"/reception/sessions/{factories.session().id}"
    data = {**factories.booking_form(), **{f"f{i}": "x" for i in range(300)}}
    assert client.post(url, data=data, content_type="multipart/form-data").status_code == 413
    assert limiter._storage_dead is False


# --- 6. the client address behind a proxy ----------------------------------------------------------

def lookups(client, forwarded_for: list[str], start: int) -> list[int]:
    return [client.post("/reception/lookup", data={"code": f"PQRS{start + i:04d}", "phone": PHONE},
                        headers={"X-Forwarded-For": xff},
                        environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code
            for i, xff in enumerate(forwarded_for)]


def test_x_forwarded_for_is_trusted_only_with_proxy_count(tmp_path, database_url):
    limiter._storage_dead = False
    for proxies in (0, 1):
        app = create_app({**base_config(tmp_path / str(proxies), database_url),
                          "RATELIMIT_ENABLED": True, "PROXY_COUNT": proxies})
        with app.app_context():
            client = app.test_client()
            first = lookups(client, ["10.5.0.1"] * 20, 0)
            assert first == [422] * 20
            # The same client, pretending to be someone else in front of the real proxy's entry.
            spoofed = lookups(client, ["6.6.6.6, 10.5.0.1"], 100)
            other_client = lookups(client, ["10.5.0.2"], 200)
            if proxies:
                # nginx appends the address it saw: the last entry is the client.
                assert spoofed == [429] and other_client == [422]
            else:
                # The header is anyone's to write: every request is the proxy's own address.
                assert spoofed == [429] and other_client == [429]
            db.session.remove()
            db.engine.dispose()


# --- 7. one limit across two gunicorn workers sharing Redis ---------------------------------------

LOOKUP_LIMIT = 20  # reception.views: 20 lookups per 10 minutes from one address


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _request(port, method, path, body=None, headers=None):
    """One request over a fresh connection: (status, headers, text)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.headers, response.read().decode()
    finally:
        conn.close()


@pytest.fixture
def redis_url():
    with flushed_redis() as url:
        yield url


@pytest.fixture
def gunicorn(tmp_path, redis_url):
    """Two sync workers on a free port, a migrated SQLite file, limits in Redis; the access log
    names the worker (pid) of every request. Yields (port, access log path)."""
    port, log = _free_port(), tmp_path / "access.log"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("RATELIMIT_", "GUNICORN_")) and k not in (
               "PUBLIC_BASE_URL", "HTTPS", "TRUSTED_HOSTS")}
    # The proxy count lets each round of the test be a new client (X-Forwarded-For).
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'portal.sqlite3'}", SECRET_KEY="workers-secret",
               DATA_KEY="workers-data-key", REDIS_URL=redis_url, PROXY_COUNT="1",
               PYTHONDONTWRITEBYTECODE="1")
    # Migrated in its own process: Alembic's logging setup would silence this one's loggers.
    bin_dir = Path(sys.executable).parent
    done = subprocess.run([str(bin_dir / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    errors = tmp_path / "error.log"
    with open(errors, "w") as stderr:
        proc = subprocess.Popen(
            [str(bin_dir / "gunicorn"), "-c", "/dev/null", "-w", "2", "-b", f"127.0.0.1:{port}",
             "--access-logfile", str(log), "--access-logformat", "%(p)s %(s)s %(m)s", "wsgi:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _request(port, "GET", "/reception/lookup")[0] == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not start:\n{errors.read_text()}")
            time.sleep(0.2)
        yield port, log
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the server's own process group only
            proc.wait(timeout=10)
    assert "Traceback" not in errors.read_text(), errors.read_text()[-3000:]


def _csrf(port) -> tuple[str, str]:
    """The session cookie and CSRF token a browser would get from the lookup page."""
    status, headers, page = _request(port, "GET", "/reception/lookup")
    assert status == 200
    cookie = headers["Set-Cookie"].split(";")[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    return cookie, token


def _round(port, client: str, cookie: str, token: str, attempts: int) -> list[int]:
    """``attempts`` lookups from one client address, four at a time over fresh connections."""
    def lookup(i):
        body = urlencode({"csrf_token": token, "code": f"K{client.replace('.', '')}{i:03d}"[-12:],
                          "phone": PHONE})
        return _request(port, "POST", "/reception/lookup", body, {
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie,
            "X-Forwarded-For": client})[0]

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(lookup, range(attempts)))


def _posts_served(log: Path, count: int) -> list[tuple[str, str]]:
    """(worker pid, status) of each POST in the access log, once it lists ``count`` of them
    (a worker writes its line just after sending the answer)."""
    deadline = time.monotonic() + 30
    while True:
        posts = [(pid, status) for pid, status, method in map(str.split, log.read_text(
            ).splitlines()) if method == "POST"]
        if len(posts) >= count or time.monotonic() > deadline:
            return posts
        time.sleep(0.05)


def test_a_limit_holds_across_two_gunicorn_workers_sharing_redis(gunicorn):
    port, log = gunicorn
    cookie, token = _csrf(port)
    attempts = LOOKUP_LIMIT + 8
    for n in range(1, 6):  # until both workers have served the same client
        before = len(_posts_served(log, 0))
        statuses = _round(port, f"10.7.0.{n}", cookie, token, attempts)
        # In any order (four at a time): exactly the limit passes, every other one is refused.
        assert sorted(statuses) == [422] * LOOKUP_LIMIT + [429] * 8, statuses
        served = _posts_served(log, before + attempts)[before:]
        assert sorted(status for _pid, status in served) == sorted(map(str, statuses))
        workers = {pid for pid, _status in served}
        if len(workers) >= 2:
            break
    assert len(workers) == 2, "one worker served every request in five rounds"
