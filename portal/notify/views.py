"""Staff pages of the outbox: the outbox itself (retry a failed message) and the call list
(bookings cancelled with their session, with their message's delivery: staff phone those the
message did not reach, and record it)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, request, url_for
from flask_login import current_user

from portal import calendar, hypermedia, request_guard
from portal.actions import perform
from portal.forms import EmptyForm
from portal.notify import queries, services
from portal.notify.models import KINDS, MESSAGE_STATUSES
from portal.reception import management
from portal.reception import queries as reception_queries

bp = Blueprint("notify", __name__, url_prefix="/staff")


@bp.get("/outbox/")
def outbox():
    filters = queries.OutboxFilter.of(request.args.get("status", "").strip(),
                                      request.args.get("kind", "").strip())
    messages = queries.outbox_page(filters, request_guard.arg_int("before"))
    return hypermedia.render(
        "notify/outbox.html", "results", messages=messages, filters=filters,
        counts=queries.status_counts(filters.kind), codes=queries.booking_codes(messages),
        statuses=MESSAGE_STATUSES, kinds=KINDS, page_size=queries.PAGE_SIZE,
        action_form=EmptyForm())


@bp.post("/outbox/<int:message_id>/retry")
def retry(message_id: int):
    back = request.form.get("back", "")
    back = back if back.startswith("/staff/outbox/") else url_for("notify.outbox")
    if not EmptyForm().validate_on_submit():
        abort(400)

    def refused(error):
        if error.status == 404:
            abort(404)
        flash(error.message, "error")
        return hypermedia.see_other(back)

    return perform(lambda: services.retry(message_id, current_user, calendar.now()),
                   success=lambda _m: hypermedia.see_other(back), failure=refused,
                   done=lambda m: f"通知 {m.id} 已重新排队发送")


@bp.get("/reception/calls")
def calls():
    return hypermedia.render("notify/calls.html", rows=queries.call_list(),
                             action_form=EmptyForm())


@bp.post("/reception/bookings/<int:booking_id>/notified")
def notified(booking_id: int):
    booking = reception_queries.booking_with_place(booking_id) or abort(404)
    code = booking.code
    return perform(lambda: management.mark_notified(booking, current_user, calendar.now()),
                   success=lambda _r: hypermedia.see_other(url_for("notify.calls")),
                   done=f"已记录：预约 {code} 的来访人已电话通知",
                   back=url_for("notify.calls"))
