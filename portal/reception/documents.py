"""What a citizen takes away from a booking: the lookup address, its QR code, an .ics file."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import qrcode
import qrcode.image.svg
from icalendar import Calendar, Event

from portal import calendar
from portal.reception.models import Booking
from portal.request_guard import external_url


def lookup_url(code: str) -> str:
    """The absolute lookup address (the code is prefilled; the phone number is still asked)."""
    return external_url("reception.lookup", code=code)


def qr_svg(data: str) -> str:
    """An inline SVG QR code (paths only, no style attributes, so the CSP allows it)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    svg = image.to_string(encoding="unicode")
    return svg.replace("<svg ", '<svg role="img" aria-label="查询预约二维码" class="qr" ', 1)


def booking_ics(booking: Booking, url: str) -> bytes:
    session = booking.session
    leader = session.leader
    start = calendar.local(session.day, booking.place.start_time)
    cal = Calendar()
    cal.add("prodid", "-//xinfang-portal//reception//ZH")
    cal.add("version", "2.0")
    event = Event()
    event.add("uid", f"booking-{booking.code}@xinfang-portal")
    event.add("dtstamp", datetime.now(UTC))
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=session.slot_minutes))
    event.add("summary", f"领导接访预约（{leader.name}，{booking.place.number}号）")
    event.add("location", session.place)
    event.add("description", f"预约码：{booking.code}\n"
              f"请携带身份证原件提前 15 分钟到达签到。\n查询或取消：{url}")
    event.add("url", url)
    cal.add_component(event)
    return cal.to_ical()
