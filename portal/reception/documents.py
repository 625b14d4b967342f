"""What a citizen takes away from a booking: the lookup address, its QR code, an .ics file."""
from __future__ import annotations

from datetime import UTC, date, timedelta

import qrcode
import qrcode.image.svg
from icalendar import Alarm, Calendar, Event

from portal import bureau, calendar
from portal.reception import lifecycle
from portal.reception.models import PLACE_HOLDING, Booking
from portal.request_guard import external_url


def lookup_url(code: str) -> str:
    """The absolute lookup address (the code is prefilled; the phone number is still asked)."""
    return external_url("reception.lookup", code=code)


def qr_svg(data: str) -> str:
    """An inline SVG QR code (paths only, no style attributes, so the CSP allows it)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    svg = image.to_string(encoding="unicode")
    return svg.replace("<svg ", '<svg role="img" aria-label="查询预约二维码" class="qr" ', 1)


def place_label(number: int) -> str:
    """'第 1 号': a bare '1 号' reads as the first day of a month."""
    return f"第 {number} 号"


def event_stands(booking: Booking) -> bool:
    """Does the booking still hold its place (so its calendar event stands)? Cancelled and
    declined bookings let it go: their .ics says STATUS:CANCELLED."""
    return booking.status in PLACE_HOLDING


def ics_sequence(booking: Booking) -> int:
    """RFC 5545 SEQUENCE: higher with every change of the booking, so a calendar replaces the
    event it holds (same UID). Two per second since the booking was made — a cancellation in
    the same second as the booking still counts higher."""
    seconds = int((booking.updated_at - booking.created_at).total_seconds())
    return 2 * max(seconds, 0) + (0 if event_stands(booking) else 1)


def booking_ics(booking: Booking, url: str) -> bytes:
    """The booking as an iCalendar event (with the Asia/Shanghai VTIMEZONE and a reminder the
    day before); once the booking is cancelled or declined, the same event, cancelled."""
    session = booking.session
    start = calendar.local(session.day, booking.place.start_time)
    cal = Calendar()
    cal.add("prodid", "-//xinfang-portal//reception//ZH")
    cal.add("version", "2.0")
    event = Event()
    event.add("uid", f"booking-{booking.code}@xinfang-portal")
    event.add("sequence", ics_sequence(booking))
    event.add("dtstamp", calendar.now().astimezone(UTC))
    event.add("last-modified", booking.updated_at.astimezone(UTC))
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=session.slot_minutes))
    event.add("location", session.place)
    event.add("url", url)
    what = f"领导接访预约（{session.leader.name}，{place_label(booking.place.number)}）"
    if event_stands(booking):
        event.add("status", "TENTATIVE" if lifecycle.awaits_review(booking) else "CONFIRMED")
        event.add("summary", what)
        event.add("description", f"{bureau.current().name}领导接访\n预约码：{booking.code}\n"
                  f"请携带身份证原件提前 15 分钟到达签到。\n查询或取消：{url}")
        event.add_component(_reminder(booking, what))
    else:
        event.add("status", "CANCELLED")
        event.add("summary", f"【已取消】{what}")
        reason = f"（{booking.status_reason}）" if booking.status_reason else ""
        event.add("description", f"本预约{booking.status_label}{reason}，请勿前往。\n"
                  f"预约码：{booking.code}\n查询：{url}")
    cal.add_component(event)
    # RFC 5545: a TZID needs its VTIMEZONE (Asia/Shanghai: +08:00, no daylight time).
    cal.add_missing_timezones(first_date=date(session.day.year, 1, 1),
                              last_date=date(session.day.year + 1, 12, 31))
    return cal.to_ical()


def _reminder(booking: Booking, what: str) -> Alarm:
    """A reminder the day before (24 hours ahead of the place's time)."""
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", timedelta(days=-1))
    alarm.add("description", f"明天{what}，预约码 {booking.code}，请携带身份证原件。")
    return alarm
