"""Issue 16, points 6 and 7: hostile input never reaches the database or the logs, and the Host
header never chooses the portal's address.

Every attack of the issue is replayed against the running app: control characters in query
strings and forms (400), numbers past what the database holds and dates past what date
arithmetic can handle (ignored in query strings, 422 in forms), untrusted Host headers (400) —
each with a Chinese message, no traceback in the log, and no row written.
"""
from __future__ import annotations

import importlib
import inspect
import logging
import pkgutil
from datetime import date

import pytest
import wtforms
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from wtforms.fields.core import UnboundField

import portal
from portal import config, create_app
from portal import forms as portal_forms
from portal.extensions import db
from portal.reception import services as reception_services
from portal.reception.models import Booking, Place, ReceptionSession
from tests import factories
from tests.conftest import base_config
from tests.evaluation import factories as evaluation
from tests.helpers import example_url

HUGE = "9" * 20  # past 64 bits
HUGER = str(10**30)
FAR_DATE = "日期应在 2000 年 1 月 1 日至 2099 年 12 月 31 日之间"
INVALID_CHARACTERS = "无效字符"


def row_counts() -> dict[str, int]:
    db.session.rollback()  # a fresh snapshot: count what is committed now
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


@pytest.fixture
def errors_logged(caplog):
    """The ERROR records logged while the test runs (an unhandled exception logs one)."""
    caplog.set_level(logging.WARNING)
    return lambda: [r for r in caplog.records if r.levelno >= logging.ERROR]


def assert_refused(response, status: int, message: str) -> None:
    body = response.get_data(as_text=True)
    assert response.status_code == status, (response.status_code, body[:400])
    assert message in body, body[:800]
    assert "Traceback" not in body and 'lang="zh-CN"' in body


# --- control characters (point 6) -----------------------------------------------------------

def test_every_route_refuses_control_characters_before_anything_runs(app, client, auth,
                                                                      errors_logged):
    session = factories.session()
    factories.book(session)
    auth.login("admin")
    before = row_counts()
    routes = [(rule, example_url(rule)) for rule in app.url_map.iter_rules()
              if rule.endpoint != "static"]
    assert len(routes) > 60
    for rule, url in routes:
        if "GET" in rule.methods:
            for query in ("?q=%00", "?place=%00", "?x%00=1", "?page=%1b", "?week=%7f", "?q=%C2%85",
                          "?q=a%09b"):
                assert_refused(client.get(url + query), 400, INVALID_CHARACTERS)
        if "POST" in rule.methods:
            for data in ({"name": "张\x00三"}, {"reason": "x\x1by"}, {"na\x00me": "x"},
                         {"note": "\x7f"}, {"username": "admin\x00"}):
                assert_refused(client.post(url, data=data), 400, INVALID_CHARACTERS)
    assert_refused(client.get("/reception/bookings/AB%00CD"), 400, INVALID_CHARACTERS)
    assert row_counts() == before
    assert errors_logged() == []


def test_the_citizen_attacks_of_the_issue_are_refused_and_write_nothing(client, errors_logged):
    session = factories.session()
    booked = factories.book(session)
    before = row_counts()
    attacks = [
        client.get("/reception/?place=%00"),
        client.get("/reception/lookup?code=%00"),
        client.post("/reception/lookup", data={"code": booked.code + "\x00", "phone": "13800000000"}),
        client.post(f"/reception/sessions/{session.id}", data=factories.booking_form(name="张\x00三")),
        client.post(f"/reception/sessions/{session.id}",
                    data=factories.booking_form(related_matter_no="XF-2026-\x000031")),
        client.post(f"/reception/sessions/{session.id}",
                    data=factories.booking_form(summary="补偿款\x1b未发放")),
        client.post(f"/reception/bookings/{booked.code}/cancel", data={"reason": "\x00"}),
        client.post("/staff/login", data={"username": "admin\x00", "password": "x"}),
        client.get("/reception/validate/id_number?id_number=%00"),
    ]
    for response in attacks:
        assert_refused(response, 400, INVALID_CHARACTERS)
    assert row_counts() == before
    assert errors_logged() == []


def test_line_breaks_and_tabs_in_a_textarea_are_still_accepted(client):
    session = factories.session()
    response = client.post(f"/reception/sessions/{session.id}", data=factories.booking_form(
        summary="第一，补偿款未发放。\r\n第二，\t道路未修复。"))
    assert response.status_code == 303
    booking = db.session.scalar(select(Booking))
    assert booking is not None and booking.name == "张三"


@pytest.mark.parametrize("mark", ["\u202e", "\u202a", "\u202d", "\u2066", "\u2067", "\u2068",
                                  "\u2069"])
def test_bidi_overrides_and_isolates_are_refused_like_control_characters(client, auth, mark,
                                                                         errors_logged):
    """Found by the fuzzer (tests/fuzz): '张\u202e三' was stored as a booking's name, and a
    failed login stored 'admi\u2066n' — text that displays other than it reads."""
    session = factories.session()
    before = row_counts()
    for response in (
        client.post(f"/reception/sessions/{session.id}",
                    data=factories.booking_form(name=f"张{mark}三")),
        client.post(f"/reception/sessions/{session.id}",
                    data=factories.booking_form(summary=f"补偿款{mark}未发放")),
        client.post("/staff/login", data={"username": f"admi{mark}n", "password": "x"}),
        client.get(f"/reception/?place={mark}"),
    ):
        assert_refused(response, 400, INVALID_CHARACTERS)
    assert row_counts() == before
    assert errors_logged() == []


def test_the_bidi_marks_stay_allowed(client):
    """U+200E/U+200F only mark a direction; they reorder nothing, so a name may hold one."""
    session = factories.session()
    response = client.post(f"/reception/sessions/{session.id}",
                           data=factories.booking_form(name="张三\u200f"))
    assert response.status_code == 303

def test_staff_fields_with_control_characters_are_refused(client, auth, errors_logged):
    leader = factories.leader()
    auth.login("reception")
    before = row_counts()
    session_form = {"leader_id": leader.id, "first_day": "2026-11-23", "start_time": "09:00",
                    "end_time": "10:00", "place": "县人民来访接待中心\x00", "mode": "fixed",
                    "theme": "", "slot_minutes": "20", "weeks": "1"}
    assert_refused(client.post("/staff/reception/sessions/new", data=session_form), 400,
                   INVALID_CHARACTERS)
    assert_refused(client.post("/staff/reception/leaders/new",
                               data={"name": "赵\x00敏", "post": "副县长", "categories": ["教育"]}),
                   400, INVALID_CHARACTERS)
    auth.logout()
    auth.login("evaluation", evaluation.staff().username)
    before = row_counts()
    assert_refused(client.post("/staff/evaluation/evaluators/new", data={
        "name": "钱\x00七", "category": "律师", "organisation": "县律师协会", "contact": "",
        "user_id": "0"}), 400, INVALID_CHARACTERS)
    assert_refused(client.post("/staff/evaluation/matters/new", data={
        "number": "XF-2026-0099", "title": "x", "category": "征地拆迁", "unit": "青石镇",
        "level": "township", "summary": "x", "petitioner_name": "吴\x00秋菊", "petitioner_id": "",
        "phone": "13912345678", "address": "x", "handling_opinion": "x",
        "opinion_date": "2026-10-08"}), 400, INVALID_CHARACTERS)
    assert row_counts() == before
    assert errors_logged() == []


# --- numbers and dates in query strings (point 6) -------------------------------------------

def test_huge_numbers_and_dates_in_query_strings_are_ignored_like_any_bad_filter(
        client, auth, errors_logged):
    """Query arguments are filters and page positions; a malformed one was always ignored
    (tests/reception/test_public_pages.py), and one past what the database holds is too."""
    first = factories.session()
    other = factories.session(factories.leader("王建国"), place="青石镇人民政府")
    for leader in (HUGE, HUGER, "-1", "٣", "1e3", str(2**31)):
        page = client.get(f"/reception/?week=2026-11-23&leader={leader}")
        assert page.status_code == 200
        # The filter is ignored: both leaders' sessions are listed.
        assert f"/reception/sessions/{first.id}" in page.text
        assert f"/reception/sessions/{other.id}" in page.text
    for week in ("9999-12-31", "0001-01-01", "1999-12-31"):
        assert client.get(f"/reception/?week={week}").status_code == 200
    for page in (HUGE, HUGER, "-5"):
        assert client.get(f"/evaluation/notices/?page={page}").status_code == 200
        assert client.get(f"/evaluation/results/?page={page}").status_code == 200
    auth.login("admin")
    for before in (HUGE, HUGER, str(2**31), "-1"):
        page = client.get(f"/staff/audit?before={before}")
        assert page.status_code == 200 and "user.login" in page.text
    assert errors_logged() == []


# --- numbers and dates in forms (point 6) -----------------------------------------------------

SESSION_FORM = {"first_day": "2026-11-23", "start_time": "09:00", "end_time": "10:00",
                "place": "县人民来访接待中心", "mode": "fixed", "theme": "", "slot_minutes": "20",
                "weeks": "1", "publish": "y"}


def test_the_staff_session_form_refuses_huge_ids_and_far_dates(client, auth, errors_logged):
    leader = factories.leader()
    existing = factories.session(leader)
    auth.login("reception")
    before = row_counts()
    form = {**SESSION_FORM, "leader_id": str(leader.id)}
    cases = [
        ({"leader_id": HUGER}, "选择无效"),
        ({"leader_id": HUGE}, "选择无效"),
        ({"first_day": "9999-12-25", "weeks": "2"}, FAR_DATE),
        ({"first_day": "0001-01-01"}, "日期应在 2000 年"),
        ({"slot_minutes": HUGER}, "不是有效的整数"),
        ({"weeks": HUGER}, "不是有效的整数"),
    ]
    for change, message in cases:
        assert_refused(client.post("/staff/reception/sessions/new", data={**form, **change}),
                       422, message)
    assert_refused(client.post(f"/staff/reception/sessions/{existing.id}/edit",
                               data={**form, "leader_id": HUGER}), 422, "选择无效")
    assert row_counts() == before
    # Dates up to the end of the range still make a series (the last week runs into 2100).
    ok = client.post("/staff/reception/sessions/new",
                     data={**form, "first_day": "2099-12-28", "weeks": "2"})
    assert ok.status_code == 303
    assert db.session.scalar(select(func.max(ReceptionSession.day))) == date(2100, 1, 4)
    assert errors_logged() == []


def test_the_booking_form_refuses_a_huge_party_size(client, errors_logged):
    session = factories.session()
    before = row_counts()
    response = client.post(f"/reception/sessions/{session.id}",
                           data=factories.booking_form(party_size=HUGER))
    assert_refused(response, 422, "不是有效的整数")
    assert row_counts() == before
    assert errors_logged() == []


def test_evaluation_forms_refuse_huge_ids_and_far_dates(client, auth, clock, errors_logged):
    hearing, pool = evaluation.paneled_hearing()
    matter_id = evaluation.accepted_matter(number="XF-2026-0077").id
    auth.login("evaluation", evaluation.staff().username)
    before = row_counts()
    base = "/staff/evaluation"
    cases = [
        (f"{base}/hearings/{hearing.id}/panel",
         {"evaluator_ids": [str(e.id) for e in pool[:4]] + [HUGER], "chair_id": str(pool[0].id)},
         "选择无效"),
        (f"{base}/hearings/{hearing.id}/panel",
         {"evaluator_ids": [str(e.id) for e in pool], "chair_id": HUGE}, "选择无效"),
        (f"{base}/hearings/{hearing.id}/recusals",
         {"evaluator_id": HUGER, "requested_by": "party", "requester": "信访人", "reason": "亲属"},
         "选择无效"),
        (f"{base}/evaluators/new", {"name": "钱七", "category": "律师",
                                    "organisation": "县律师协会", "contact": "",
                                    "user_id": HUGER}, "选择无效"),
        (f"{base}/hearings/{hearing.id}/edit", {"day": "9999-12-31", "start_time": "09:30",
                                                "place": "县人民来访接待中心", "level": "township"},
         "日期应在 2000 年"),
        (f"{base}/matters/{matter_id}/hearings/new", {"day": "0001-01-01", "start_time": "09:30",
                                                      "place": "县人民来访接待中心",
                                                      "level": "township"}, "日期应在 2000 年"),
    ]
    for url, data, message in cases:
        assert_refused(client.post(url, data=data), 422, message)
    assert row_counts() == before
    assert errors_logged() == []


def test_evaluation_dates_are_bounded_on_every_form(client, auth, clock, errors_logged):
    """Application, matter, follow-up deadline and delivery: a date outside 2000–2099 is a
    field error (without the bound, 9999-12-31 was accepted as a follow-up deadline)."""
    hearing, _poll = evaluation.published_result(clock, ["unsatisfied"] * 6 + ["satisfied"] * 3)
    fresh = evaluation.matter(number="XF-2026-0088")
    auth.login("evaluation", evaluation.staff().username)
    before = row_counts()
    base = "/staff/evaluation"
    matter = {"number": "XF-2026-0099", "title": "道路占地补偿", "category": "征地拆迁",
              "unit": "青石镇人民政府", "level": "township", "summary": "对补偿标准不满意。",
              "petitioner_name": "李四", "petitioner_id": "", "phone": "13912345679",
              "address": "青石镇", "handling_opinion": "已按标准补偿。"}
    cases = [
        (f"{base}/matters/new", {**matter, "opinion_date": "9999-12-31"}),
        (f"{base}/matters/{fresh.id}/applications",
         {"unit": "青石镇", "applied_on": "0001-01-01", "reason": "不满意"}),
        (f"{base}/matters/{hearing.matter_id}/followups",
         {"unit": "青石镇", "task": "重新核算补偿", "deadline": "9999-12-31"}),
        (f"{base}/hearings/{hearing.id}/deliveries",
         {"party": "petitioner", "method": "in_person", "recipient": "吴秋菊",
          "delivered_on": "1999-12-31"}),
    ]
    for url, data in cases:
        assert_refused(client.post(url, data=data), 422, FAR_DATE)
    assert row_counts() == before
    assert errors_logged() == []


def test_the_attendance_form_refuses_huge_ids(client, auth, clock, errors_logged):
    hearing, pool = evaluation.noticed_hearing()
    evaluation.at_hearing(clock, hearing)
    auth.login("evaluation", evaluation.staff().username)
    before = row_counts()
    members = [str(m.id) for m in hearing.members]
    response = client.post(f"/staff/evaluation/hearings/{hearing.id}/attendance",
                           data={"present_ids": members + [HUGER]})
    assert_refused(response, 422, "选择无效")
    assert row_counts() == before
    assert errors_logged() == []


def test_the_paper_count_form_refuses_huge_numbers(client, auth, clock, errors_logged):
    hearing, _pool = evaluation.noticed_hearing()
    evaluation.at_hearing(clock, hearing)
    evaluation.present(hearing)
    poll = evaluation.open_poll(hearing, "paper")
    auth.login("evaluation", evaluation.staff().username)
    before = row_counts()
    counts = {"issued": HUGER, "returned": "9", "valid": "9", "invalid": "0", "manyi": "6",
              "bumanyi": "3", "abstain": HUGE}
    assert_refused(client.post(f"/staff/evaluation/polls/{poll.id}/paper", data=counts), 422,
                   "不是有效的整数")
    assert row_counts() == before
    assert errors_logged() == []


def _form_classes():
    """Every form of the portal, wherever it is defined (a new module's forms included)."""
    for info in pkgutil.walk_packages(portal.__path__, "portal."):
        importlib.import_module(info.name)
    pending = [portal_forms.PortalForm]
    while pending:
        for cls in pending.pop().__subclasses__():
            pending.append(cls)
            yield cls


def test_every_form_uses_the_bounded_fields():
    """A new form cannot bring the overflow back: dates and integers are the bounded fields,
    and select fields carrying numbers coerce with bounded_int."""
    checked = 0
    for cls in set(_form_classes()):
        for name, unbound in inspect.getmembers(cls, lambda v: isinstance(v, UnboundField)):
            field = unbound.field_class
            where = f"{cls.__name__}.{name}"
            if issubclass(field, wtforms.DateField):
                assert field is portal_forms.DateField, where
            if issubclass(field, wtforms.IntegerField):
                assert field is portal_forms.IntegerField, where
            if issubclass(field, (wtforms.SelectField, wtforms.SelectMultipleField)):
                assert unbound.kwargs.get("coerce", str) in (str, portal_forms.bounded_int), where
            checked += 1
    assert checked > 50


def test_bounded_int_and_the_bounded_fields():
    assert portal_forms.bounded_int("42") == 42 and portal_forms.bounded_int(0) == 0
    assert portal_forms.bounded_int(str(2**31 - 1)) == 2**31 - 1
    for bad in (str(2**31), "-1", HUGER, "x", "", None):
        with pytest.raises(ValueError):
            portal_forms.bounded_int(bad)


# --- what a failure logs (point 6) ------------------------------------------------------------

def test_engine_hides_bound_parameters_on_every_database(app, tmp_path):
    assert db.engine.hide_parameters is True
    for url in ("sqlite://", "postgresql+psycopg://nobody@127.0.0.1:1/none"):
        other = create_app({**base_config(tmp_path, url)})
        assert other.config["SQLALCHEMY_ENGINE_OPTIONS"]["hide_parameters"] is True
        with other.app_context():
            assert db.engine.hide_parameters is True
            db.engine.dispose()


@pytest.mark.parametrize("chained", [False, True])
def test_a_database_failure_logs_none_of_the_personal_data(client, caplog, monkeypatch, chained):
    """A booking fails inside the database (a second active booking for the same ID number,
    refused by the unique index) after its INSERT ran with the citizen's name, keyed hashes
    and ciphertexts as bound parameters: none of them, nor what PostgreSQL quotes in its
    DETAIL, reaches any log record, while the failure itself is logged — also when the
    database error is only the context of another exception."""
    session = factories.session()
    id_number, phone = factories.id_number(), "13612345678"
    seen: dict[str, str] = {}
    real_create = reception_services.create_booking

    def create_then_fail(session_id, req, now):
        booking = real_create(session_id, req, now)
        seen.update(code=booking.code, id_hash=booking.id_hash, id_cipher=booking.id_cipher,
                    phone_hash=booking.phone_hash, phone_cipher=booking.phone_cipher,
                    summary_cipher=booking.summary_cipher)
        other_place = db.session.scalar(select(Place.id).where(
            Place.session_id == session_id, Place.id != booking.place_id).limit(1))
        statement = insert(Booking).values(
            code="ZZZZ9999", session_id=session_id, place_id=other_place, name=booking.name,
            id_cipher=booking.id_cipher, id_hash=booking.id_hash, id_last4=booking.id_last4,
            phone_cipher=booking.phone_cipher, phone_hash=booking.phone_hash,
            category=booking.category, summary_cipher=booking.summary_cipher, party_size=1,
            related_matter_no="", status="pending", created_at=now, updated_at=now)
        try:
            db.session.execute(statement)
        except IntegrityError:
            if chained:
                raise RuntimeError("could not store the booking")  # noqa: B904 (the point)
            raise
        return booking

    monkeypatch.setattr(reception_services, "create_booking", create_then_fail)
    caplog.set_level(logging.DEBUG)  # SQL statement logging (INFO) included
    before = row_counts()
    response = client.post(f"/reception/sessions/{session.id}", data=factories.booking_form(
        name="欧阳秀英", id_number=id_number, phone=phone, summary="承包地补偿款一直没有发放到位"))
    assert_refused(response, 500, "系统繁忙")
    assert row_counts() == before
    assert seen, "the failing service did not run"
    text = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    assert "unhandled database error" in text and "IntegrityError" in text
    assert ("RuntimeError from IntegrityError" in text) is chained
    for secret in ["欧阳秀英", id_number, phone, "承包地补偿款", *seen.values()]:
        assert secret not in text, secret


# --- the Host header (point 7) ----------------------------------------------------------------

def test_an_untrusted_host_is_refused_with_the_chinese_error_page(client, errors_logged):
    session = factories.session()
    before = row_counts()
    for host in ("evil.example", "portal.test.evil.example", "evil.example:80"):
        headers = {"Host": host}
        for response in (client.get("/evaluation/feed.xml", headers=headers),
                         client.get("/", headers=headers),
                         client.post(f"/reception/sessions/{session.id}",
                                     data=factories.booking_form(), headers=headers)):
            assert_refused(response, 400, "不受信任")
            assert "Cache-Control" not in response.headers or \
                "public" not in response.headers["Cache-Control"]
    assert client.get("/", headers={"Host": "portal.test"}).status_code == 200
    assert row_counts() == before
    assert errors_logged() == []


def _deployed_app(tmp_path, database_url, monkeypatch, **env):
    """An app configured like a server: no SERVER_NAME, TRUSTED_HOSTS from the environment."""
    for name in ("TRUSTED_HOSTS", "PUBLIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = base_config(tmp_path, database_url)
    del settings["SERVER_NAME"], settings["TRUSTED_HOSTS"]
    return create_app(settings)


def test_a_server_without_server_name_refuses_unknown_hosts(tmp_path, database_url, monkeypatch,
                                                           errors_logged):
    app = _deployed_app(tmp_path, database_url, monkeypatch,
                        PUBLIC_BASE_URL="https://xf.example.gov.cn")
    assert app.config["TRUSTED_HOSTS"] == ["xf.example.gov.cn", "localhost", "127.0.0.1"]
    client = app.test_client()
    for host in ("xf.example.gov.cn", "localhost", "127.0.0.1:8000"):
        assert client.get("/evaluation/notices/", headers={"Host": host}).status_code == 200, host
    for host in ("evil.example", "xf.example.gov.cn.evil.example", "evil.example:8000"):
        response = client.get("/evaluation/feed.xml", headers={"Host": host})
        assert_refused(response, 400, "不受信任")
        assert 'href="/reception/"' in response.text  # the layout's links still render
    assert errors_logged() == []
    with app.app_context():
        db.engine.dispose()


def test_trusted_hosts_come_from_the_environment():
    assert config._trusted_hosts("xf.example.gov.cn, .xinfang.example ,", None) == [
        "xf.example.gov.cn", ".xinfang.example"]
    assert config._trusted_hosts(None, "https://XF.example.gov.cn:8443/portal") == [
        "xf.example.gov.cn", "localhost", "127.0.0.1"]
    assert config._trusted_hosts("", None) == ["localhost", "127.0.0.1"]


def test_absolute_urls_use_public_base_url_whatever_the_host(app, client, tmp_path, database_url,
                                                             monkeypatch, clock):
    evaluation.noticed_hearing()
    session = factories.session()
    deployed = _deployed_app(tmp_path, database_url, monkeypatch,
                             PUBLIC_BASE_URL="https://xf.example.gov.cn/xinfang",
                             TRUSTED_HOSTS="xf.example.gov.cn,other.example")
    visitor = deployed.test_client()
    feed = visitor.get("/evaluation/feed.xml", headers={"Host": "other.example"})
    assert feed.status_code == 200 and "public" in feed.headers["Cache-Control"]
    links = [part.split('"')[0] for part in feed.text.split('href="')[1:]]
    assert len(links) >= 3
    assert all(link.startswith("https://xf.example.gov.cn/xinfang/evaluation/") for link in links)
    assert "<id>https://xf.example.gov.cn/xinfang/evaluation/feed.xml</id>" in feed.text
    assert "other.example" not in feed.text

    booked = visitor.post(f"/reception/sessions/{session.id}", data=factories.booking_form(),
                          headers={"Host": "other.example"})
    assert booked.status_code == 303
    code = booked.headers["Location"].split("/bookings/")[1].split("?")[0]
    expected = f"https://xf.example.gov.cn/xinfang/reception/lookup?code={code}"
    receipt = visitor.get(f"/reception/bookings/{code}", headers={"Host": "other.example"})
    assert expected in receipt.text and "other.example" not in receipt.text
    ics = visitor.get(f"/reception/bookings/{code}.ics", headers={"Host": "other.example"})
    assert expected in ics.get_data(as_text=True).replace("\r\n ", "")
    with deployed.app_context():
        db.engine.dispose()


def test_without_public_base_url_links_follow_the_trusted_host(client, clock):
    evaluation.noticed_hearing()
    feed = client.get("/evaluation/feed.xml")
    assert "<id>http://portal.test/evaluation/feed.xml</id>" in feed.text


@pytest.mark.parametrize("value", ["xf.example.gov.cn", "ftp://xf.example.gov.cn",
                                   "https://", "https://xf.example.gov.cn/?a=1"])
def test_a_malformed_public_base_url_stops_the_start(tmp_path, value):
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        create_app({**base_config(tmp_path, "sqlite://"), "PUBLIC_BASE_URL": value})
