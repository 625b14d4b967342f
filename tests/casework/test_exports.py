"""Excel exports (/staff/exports): one sheet per kind with its header row and exactly the rows of
the date range, masked ID and phone numbers unless revealed (an audited act), formula-safe text
cells, the access rules, and a constant number of statements whatever the number of rows."""
from __future__ import annotations

import io
import itertools
import re
from datetime import date, datetime, time, timedelta
from urllib.parse import quote

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from portal import audit, calendar, create_app, privacy
from portal.casework import exports, services
from portal.casework.services import HandOverInput, RecordInput
from portal.extensions import db
from portal.reception import management, queries
from portal.reception.lifecycle import BOOKING
from portal.reception.models import Booking, Place
from tests import factories
from tests.conftest import FIXED_NOW, AuthActions, PortalClient, base_config
from tests.factories import STAFF
from tests.helpers import count_statements

URL = "/staff/exports/download"
_codes = itertools.count(1)

HEADERS = {
    "sessions": ["日期", "开始", "结束", "接访领导", "职务", "值班领导", "接访地点", "接访方式", "状态",
                 "号源数", "现场登记名额", "预约数", "签到", "爽约", "现场登记"],
    "bookings": ["预约码", "接访日期", "接访领导", "号", "渠道", "姓名", "身份证号", "手机号码",
                 "反映事项类别", "事项简述", "来访人数", "相关事项编号", "状态", "原因", "提交时间"],
    "records": ["接访日期", "接访领导", "值班领导", "预约码", "姓名", "身份证号", "来访诉求", "领导批示",
                "处理结果", "答复/说明", "记录时间"],
    "handovers": ["交办日期", "预约码", "姓名", "接访领导", "责任单位", "单位类型", "交办事项", "首次期限",
                  "延期天数", "延期理由", "现行期限", "状态", "办结日期", "答复意见", "超期天数",
                  "进展记录数", "催办次数"],
}


# --- building the data through the services ------------------------------------------------------

def on(clock, day: date, hour: int = 10) -> datetime:
    clock.set(datetime.combine(day, time(hour)))
    return clock.current


def _day(booking: Booking) -> date:
    return queries.session_by_id(booking.session_id).day


def check_in(clock, booking: Booking) -> None:
    management.change_booking(booking, "check_in", STAFF, on(clock, _day(booking)))
    db.session.commit()


def visit(clock, session_obj, **overrides) -> Booking:
    """Booked before the cut-off (the fixed Wednesday), checked in on the session's day."""
    clock.set(FIXED_NOW)
    made = factories.book(session_obj, **overrides)
    check_in(clock, made)
    return made


def record(clock, booking: Booking, unit=None, request: str = "补偿款未足额发放"):
    """A reception record on the visit's day; handed over to ``unit`` when one is given."""
    now = on(clock, _day(booking))
    outcome = "handed_over" if unit else "answered"
    made = services.save_record(
        booking, RecordInput(request=request, instruction="请住建局核实", outcome=outcome,
                             answer="" if unit else "已当场解释政策"),
        HandOverInput(unit.id, "核实补偿款发放情况并答复来访人") if unit else None, STAFF, now)
    db.session.commit()
    return made


def unit(name: str = "县住建局"):
    made = services.save_unit(None, name, "department", STAFF)
    db.session.commit()
    return made


def walk_in(session_obj, name: str = "现场甲", **fields) -> Booking:
    """A walk-in on a walk-in place (现场登记), inserted as the desk would register it."""
    place = Place(session_id=session_obj.id, number=90 + next(_codes), start_time=time(11),
                  walk_in=True)
    db.session.add(place)
    db.session.flush()
    number, phone = factories.id_number(), factories.phone()
    values = dict(code=f"W{next(_codes):07d}", session_id=session_obj.id, place_id=place.id,
                  name=name, id_cipher=privacy.encrypt(number), id_hash=privacy.lookup_hash(number),
                  id_last4=number[-4:], phone=phone, phone_hash=privacy.lookup_hash(phone),
                  category="征地拆迁", summary="现场反映征地补偿问题", party_size=1,
                  related_matter_no="", created_at=calendar.now(), updated_at=calendar.now())
    values.update(fields)
    made = BOOKING.new(Booking, **values)
    db.session.add(made)
    db.session.commit()
    return made


# --- reading the file -----------------------------------------------------------------------------

def login(auth, role: str = "reception"):
    return auth.login(role)


def download(client, kind: str, start: str, end: str, reveal: bool = False, **extra):
    data = {"kind": kind, "start": start, "end": end, **extra}
    if reveal:
        data["reveal"] = "y"
    return client.post(URL, data=data)


def sheet(response):
    assert response.status_code == 200, response.text[:600]
    assert response.mimetype == exports.MIME_TYPE
    book = load_workbook(io.BytesIO(response.data))
    assert len(book.worksheets) == 1
    return book.worksheets[0]


def rows(response) -> list[list]:
    ws = sheet(response)
    return [[c.value for c in row] for row in ws.iter_rows()]


def all_text(response) -> str:
    return "\n".join(str(v) for row in rows(response) for v in row if v is not None)


def export_entries() -> list[dict]:
    return [e.detail_dict for e in db.session.scalars(
        select(audit.AuditEntry).where(audit.AuditEntry.action == "export.download")
        .order_by(audit.AuditEntry.id))]


# --- formula safety ---------------------------------------------------------------------------------

HOSTILE = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", "\tX", "\rY", "=1+1", "#N/A",
           "普通文字"]


def test_text_cell_writes_every_text_as_a_string_never_a_formula():
    book = Workbook(write_only=True)
    ws = book.create_sheet("t")
    cells = [exports.text_cell(ws, value) for value in HOSTILE]
    for value, cell in zip(HOSTILE, cells, strict=True):
        assert cell.data_type == "s" and cell.value == value
    assert [c.quotePrefix for c in cells] == [True] * 6 + [True, False, False]
    ws.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    loaded = load_workbook(io.BytesIO(buffer.getvalue())).worksheets[0]
    assert [(c.data_type, c.value) for c in loaded[1]] == [("s", v) for v in HOSTILE]
    # Characters an XML file cannot hold are dropped instead of failing the export.
    assert exports.text_cell(ws, "a\x01b").value == "ab"


def test_a_citizens_formula_in_a_booking_stays_text_in_the_file(client, auth, clock):
    s = factories.session(end=time(11, 0))
    factories.book(s, name="+1", summary='=HYPERLINK("http://x","y")')
    factories.book(s, name="-2")
    factories.book(s, name="@SUM(A1)")
    walk_in(s, name="\tX")
    walk_in(s, name="\rY", related_matter_no="=cmd|' /C calc'!A0")
    login(auth)
    ws = sheet(download(client, "bookings", "2026-11-23", "2026-11-23"))
    cells = {c.value: c for row in ws.iter_rows(min_row=2) for c in row if c.value is not None}
    for text in ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", "\tX", "\rY",
                 "=cmd|' /C calc'!A0"]:
        assert text in cells, text
        assert cells[text].data_type == "s"
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)


# --- each kind: headers, exactly the rows of the range ---------------------------------------------

@pytest.fixture
def week(clock):
    """Sessions on Thu 19, Fri 20, Tue 24 and Wed 25 November, one visitor each, recorded and
    handed over on the day; the range 20–24 takes the middle two."""
    lead = factories.leader()
    housing = unit()
    days = [date(2026, 11, 19), date(2026, 11, 20), date(2026, 11, 24), date(2026, 11, 25)]
    sessions = [factories.session(lead, day=d) for d in days]
    names = ["李一", "王二", "赵三", "钱四"]
    bookings = [factories.book(s, name=n) for s, n in zip(sessions, names, strict=True)]
    for b in bookings:
        check_in(clock, b)
        record(clock, b, housing)
    clock.set(FIXED_NOW)
    return sessions, bookings


@pytest.mark.parametrize("kind", list(HEADERS))
def test_each_kind_has_its_headers_and_exactly_the_rows_of_the_range(client, auth, week, kind):
    _sessions, bookings = week
    login(auth)
    table = rows(download(client, kind, "2026-11-20", "2026-11-24"))
    assert table[0] == HEADERS[kind]
    assert len(table) == 3  # the first and the last day included, the days around excluded
    text = "\n".join(str(v) for row in table[1:] for v in row)
    if kind != "sessions":
        assert "王二" in text and "赵三" in text
        assert "李一" not in text and "钱四" not in text
        assert {bookings[1].code, bookings[2].code} <= set(text.split("\n"))
    days = {row[HEADERS[kind].index("交办日期" if kind == "handovers" else
                                     "日期" if kind == "sessions" else "接访日期")]
            for row in table[1:]}
    assert days == {datetime(2026, 11, 20), datetime(2026, 11, 24)}
    empty = rows(download(client, kind, "2026-11-26", "2026-11-30"))
    assert empty == [HEADERS[kind]]


def test_dates_are_date_cells_and_the_session_counts_add_up(client, auth, week, clock):
    sessions, _bookings = week
    factories.book(sessions[2], name="孙五")  # pending, holds a place
    walk_in(sessions[2])
    login(auth)
    ws = sheet(download(client, "sessions", "2026-11-24", "2026-11-24"))
    header, row = list(ws.iter_rows())
    assert row[0].is_date and row[0].number_format == "yyyy-mm-dd"
    assert row[1].is_date and row[1].number_format == "hh:mm"
    values = dict(zip([c.value for c in header], [c.value for c in row], strict=True))
    assert values["日期"] == datetime(2026, 11, 24)
    assert values["开始"] == time(9, 0) and values["结束"] == time(10, 0)
    assert values["接访领导"] == "刘海涛" and values["值班领导"] == "刘海涛"
    assert values["职务"] == "副县长" and values["接访方式"] == "定点接访"
    assert (values["号源数"], values["预约数"], values["签到"], values["爽约"], values["现场登记"]) \
        == (3, 2, 1, 0, 1)
    bookings_ws = sheet(download(client, "bookings", "2026-11-24", "2026-11-24"))
    submitted = [r for r in bookings_ws.iter_rows(min_row=2)][0][14]
    assert submitted.is_date and submitted.number_format == "yyyy-mm-dd hh:mm"
    # Submitted at the fixed Wednesday 10:00 in Shanghai, not in UTC.
    assert submitted.value == datetime(2026, 11, 18, 10, 0)


def test_a_handover_shows_its_extension_notes_conclusion_and_lateness(client, auth, week, clock):
    _sessions, bookings = week
    h = db.session.scalars(select(services.HandOver)).first()
    now = on(clock, date(2026, 12, 1))
    services.extend(h, 10, "需要补充调查", STAFF, now)
    services.add_note(h, "progress", "已约谈村委会", None, STAFF, now)
    services.add_note(h, "reminder", "电话催办一次", None, STAFF, now, method="phone")
    services.add_note(h, "reminder", "书面催办一次", None, STAFF, now, method="written")
    services.conclude(h, "已补足补偿款并答复来访人", None, STAFF, now)
    db.session.commit()
    login(auth)
    table = rows(download(client, "handovers", "2026-11-19", "2026-11-19"))
    values = dict(zip(table[0], table[1], strict=True))
    assert values["预约码"] == bookings[0].code and values["姓名"] == "李一"
    assert values["责任单位"] == "县住建局" and values["单位类型"] == "县直部门"
    assert values["交办事项"] == "核实补偿款发放情况并答复来访人"
    assert values["延期天数"] == 10 and values["延期理由"] == "需要补充调查"
    assert (values["现行期限"] - values["首次期限"]).days == 10
    assert values["状态"] == "已办结" and values["办结日期"] == datetime(2026, 12, 1)
    assert values["答复意见"] == "已补足补偿款并答复来访人" and values["超期天数"] == 0
    assert (values["进展记录数"], values["催办次数"]) == (1, 2)


def test_a_record_row_shows_the_outcome_and_both_leaders(client, auth, clock):
    s = factories.session()
    b = visit(clock, s, name="周六")
    record(clock, b, request="=要求补发补偿款")
    login(auth)
    table = rows(download(client, "records", "2026-11-23", "2026-11-23"))
    values = dict(zip(table[0], table[1], strict=True))
    assert values["预约码"] == b.code and values["姓名"] == "周六"
    assert values["来访诉求"] == "=要求补发补偿款" and values["处理结果"] == "当场答复"
    assert values["答复/说明"] == "已当场解释政策" and values["值班领导"] == "刘海涛"
    assert values["记录时间"] == datetime(2026, 11, 23, 10, 0)


# --- privacy: masked by default, revealed on request, and audited ---------------------------------

def test_numbers_are_masked_unless_revealed_and_every_export_is_audited(client, auth, clock):
    number, phone = factories.id_number(), "13912345678"
    s = factories.session()
    b = visit(clock, s, id_number=number, phone=phone)
    record(clock, b)
    login(auth)
    for kind in ("bookings", "records"):
        masked = all_text(download(client, kind, "2026-11-23", "2026-11-23"))
        assert number not in masked and phone not in masked
        assert privacy.masked_id_number(number[-4:]) in masked
    assert privacy.mask_phone(phone) in all_text(download(client, "bookings", "2026-11-23",
                                                          "2026-11-23"))
    full = all_text(download(client, "bookings", "2026-11-23", "2026-11-23", reveal=True))
    assert number in full and phone in full
    assert number in all_text(download(client, "records", "2026-11-23", "2026-11-23", reveal=True))
    entries = export_entries()
    assert [(e["kind"], e["revealed"]) for e in entries] == [
        ("bookings", False), ("records", False), ("bookings", False), ("bookings", True),
        ("records", True)]
    assert entries[0] == {"kind": "bookings", "start": "2026-11-23", "end": "2026-11-23",
                          "revealed": False, "rows": 1}
    # The detail names no person and no number.
    assert number not in str(entries) and phone not in str(entries)


# --- the response, the page, access and bad input -----------------------------------------------

def test_the_file_has_a_chinese_name_an_ascii_fallback_and_is_not_cached(client, auth):
    login(auth)
    response = download(client, "bookings", "2026-11-01", "2026-11-30")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert 'filename="bookings_2026-11-01_2026-11-30.xlsx"' in disposition
    assert "filename*=UTF-8''" + quote("预约与来访_2026-11-01_2026-11-30.xlsx") in disposition
    assert response.headers["Content-Type"] == exports.MIME_TYPE
    assert response.headers["Cache-Control"] == "no-store"
    assert rows(response) == [HEADERS["bookings"]]


def test_the_page_offers_the_current_month_and_the_reveal_box(client, auth):
    login(auth)
    page = client.get("/staff/exports/")
    assert page.status_code == 200
    assert 'value="2026-11-01"' in page.text and 'value="2026-11-30"' in page.text
    assert "导出完整身份证号和手机号码（将记入操作日志）" in page.text
    assert 'method="post"' in page.text and f'action="{URL}' in page.text
    for label in exports.KINDS.values():
        assert label in page.text


@pytest.mark.parametrize("role", ["evaluation", "panel"])
def test_other_roles_are_refused(client, auth, role):
    login(auth, role)
    assert client.get("/staff/exports/").status_code == 403
    assert download(client, "bookings", "2026-11-01", "2026-11-30").status_code == 403
    assert export_entries() == []


def test_admin_may_export_and_anonymous_visitors_are_sent_to_login(client, auth):
    for response in (client.get("/staff/exports/"),
                     download(client, "bookings", "2026-11-01", "2026-11-30")):
        assert response.status_code == 303 and "/staff/login" in response.headers["Location"]
    login(auth, "admin")
    assert client.get("/staff/exports/").status_code == 200
    assert rows(download(client, "sessions", "2026-11-01", "2026-11-30")) == [HEADERS["sessions"]]
    assert len(export_entries()) == 1


@pytest.mark.parametrize("data, message", [
    ({"start": "2026-11-30", "end": "2026-11-01"}, "结束日期不能早于开始日期"),
    ({"start": "2026-01-01", "end": "2027-01-02"}, "一次最多导出 366 天"),
    ({"start": "2026-02-30", "end": "2026-03-01"}, "日期格式不正确"),
    ({"start": "", "end": "2026-03-01"}, "请填写开始日期"),
    ({"start": "2026-11-01", "end": "2199-01-01"}, "日期应在"),
    ({"kind": "users"}, "导出内容"),
])
def test_a_bad_range_is_answered_422_with_the_form_and_writes_nothing(client, auth, data,
                                                                      message):
    login(auth)
    form = {"kind": "bookings", "start": "2026-11-01", "end": "2026-11-30", **data}
    response = client.post(URL, data=form)
    assert response.status_code == 422
    assert message in response.text and "错误：导出数据" in response.text
    assert 'id="error-summary"' in response.text
    assert export_entries() == []


def test_a_year_of_366_days_is_accepted(client, auth):
    login(auth)
    response = download(client, "handovers", "2028-01-01", "2028-12-31")  # a leap year
    assert rows(response) == [HEADERS["handovers"]]


def test_htmx_gets_the_form_fragment_on_bad_input(client, auth):
    login(auth)
    response = client.post(URL, data={"kind": "bookings", "start": "2026-11-30",
                                      "end": "2026-11-01"}, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "<html" not in response.text and "结束日期不能早于开始日期" in response.text


def test_the_download_needs_the_csrf_token(tmp_path, database_url):
    app = create_app({**base_config(tmp_path, database_url), "WTF_CSRF_ENABLED": True})
    app.test_client_class = PortalClient
    with app.app_context():
        client = app.test_client()

        user = AuthActions(client).user("reception")
        page = client.get("/staff/login").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        assert client.post("/staff/login", data={"username": user.username,
                                                 "password": AuthActions.password,
                                                 "csrf_token": token}).status_code == 303
        response = client.post(URL, data={"kind": "bookings", "start": "2026-11-01",
                                          "end": "2026-11-30"})
        assert response.status_code == 400 and "安全校验失败" in response.text
        assert export_entries() == []
        page = client.get("/staff/exports/").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        response = client.post(URL, data={"kind": "bookings", "start": "2026-11-01",
                                          "end": "2026-11-30", "csrf_token": token})
        assert response.status_code == 200 and len(export_entries()) == 1
        db.session.remove()
        db.engine.dispose()


# --- the staff session page and the export agree --------------------------------------------------

def test_the_bookings_export_matches_the_staff_session_page(client, auth, clock):
    s = factories.session(end=time(11, 0))
    factories.book(s, name="甲")  # stays 待审核
    confirmed = factories.book(s, name="乙")
    declined = factories.book(s, name="丙")
    cancelled = factories.book(s, name="丁", phone="13800001111")
    management.change_booking(confirmed, "confirm", STAFF, calendar.now())
    management.change_booking(declined, "decline", STAFF, calendar.now(), reason="材料不全")
    factories.services.cancel_booking(cancelled, "临时有事", calendar.now())
    db.session.commit()
    check_in(clock, confirmed)
    walk_in(s, name="戊")
    login(auth)
    page = client.get(f"/staff/reception/sessions/{s.id}").text
    shown = re.findall(r'<tr id="booking-\d+".*?</tr>', page, re.S)  # the page's rows, in order
    table = rows(download(client, "bookings", "2026-11-23", "2026-11-23"))
    code, status = HEADERS["bookings"].index("预约码"), HEADERS["bookings"].index("状态")
    assert len(shown) == len(table) - 1 == 5
    for html, row in zip(shown, table[1:], strict=True):
        assert f">{row[code]}<" in html and f">{row[status]}<" in html, (row, html)
    assert {r[status] for r in table[1:]} == {"待审核", "已签到", "未通过", "已取消"}
    reasons = {r[code]: r[HEADERS["bookings"].index("原因")] for r in table[1:]}
    assert reasons[declined.code] == "材料不全" and reasons[cancelled.code] == "临时有事"
    channels = {r[HEADERS["bookings"].index("姓名")]: r[HEADERS["bookings"].index("渠道")]
                for r in table[1:]}
    assert channels == {"甲": "网上预约", "乙": "网上预约", "丙": "网上预约", "丁": "网上预约",
                        "戊": "现场登记"}


# --- no statement per row -------------------------------------------------------------------------

def _statements(client, kind: str) -> tuple[int, int]:
    with count_statements() as statements:
        response = download(client, kind, "2026-11-01", "2026-12-31")
    return len(statements), len(rows(response)) - 1


def _working_days(first: date, count: int) -> list[date]:
    working = calendar.WorkingCalendar()
    days = (first + timedelta(days=i) for i in range(count * 2))
    return [d for d in days if working.is_working_day(d) and d != date(2026, 11, 23)][:count]


def _grow(clock, lead, housing, big, days: list[date], visits: int) -> None:
    for d in days:
        factories.session(lead, day=d)
    for _ in range(visits):
        record(clock, visit(clock, big), housing)
    clock.set(FIXED_NOW)


def test_the_number_of_statements_does_not_grow_with_the_rows(client, auth, clock):
    lead, housing = factories.leader(), unit()
    big = factories.session(lead, end=time(19, 0))  # 30 places on Monday 23 November
    days = _working_days(date(2026, 11, 19), 29)
    _grow(clock, lead, housing, big, days[:2], visits=3)
    login(auth)
    few = {kind: _statements(client, kind) for kind in HEADERS}
    assert {kind: n for kind, (_s, n) in few.items()} == dict.fromkeys(HEADERS, 3)
    _grow(clock, lead, housing, big, days[2:], visits=27)
    many = {kind: _statements(client, kind) for kind in HEADERS}
    assert {kind: n for kind, (_s, n) in many.items()} == dict.fromkeys(HEADERS, 30)
    assert {k: s for k, (s, _n) in many.items()} == {k: s for k, (s, _n) in few.items()}
