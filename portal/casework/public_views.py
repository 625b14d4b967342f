"""The citizen's view of their case (查询) and its rating (评价), beside the receipt:
``/reception/bookings/<code>/progress`` and ``/reception/bookings/<code>/rating``.

Access is the receipt's: the code plus the phone number, checked by
``reception.services.find_booking``, or the one booking this browser verified in the last
15 minutes. A wrong phone gets the same answer as an unknown code. Reads go through
``casework.tracking``; the rating runs through ``actions.perform``.
"""
from __future__ import annotations

from flask import Blueprint, Response, url_for
from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from portal import calendar, hypermedia, limits
from portal.actions import perform
from portal.casework import tracking
from portal.casework.models import RATINGS
from portal.errors import DomainError
from portal.extensions import limiter
from portal.forms import PortalForm, choices
from portal.identity import normalise_phone, phone_error
from portal.reception import queries as reception_queries
from portal.reception import services as reception_services
from portal.reception import views as receipt
from portal.reception.forms import TYPED_PHONE, LookupForm
from portal.reception.models import Booking

bp = Blueprint("casework_public", __name__, url_prefix="/reception")

NOT_FOUND = "预约码或手机号码不正确，请核对后重试"
# The receipt's limits: the lookup's for the phone check, the cancel's for the rating.
LOOKUP_LIMIT = "20 per 10 minutes"
RATING_LIMIT = "20 per hour"


class RatingForm(PortalForm):
    """Rating asks for the phone number again, as cancelling does: on a shared computer the
    next person must not rate someone else's case."""

    rating = RadioField("您对办理结果的评价", choices=choices(RATINGS.items()), validate_choice=False,
                        validators=[InputRequired("请选择满意、基本满意或不满意")])
    comment = TextAreaField("评价意见（选填）", validators=[
        Length(max=tracking.COMMENT_MAX, message=f"评价意见最多 {tracking.COMMENT_MAX} 字")])
    phone = StringField("手机号码", filters=[normalise_phone], render_kw=TYPED_PHONE,
                        validators=[DataRequired("请填写预约时的手机号码"),
                                    Length(max=11, message="手机号码应为 11 位")])


# --- the receipt's remembered verification -------------------------------------------------------
# Reused from the receipt, not copied: the receipt and this page share one 15-minute
# verification of code + phone.

def _verified(code: str) -> Booking | None:
    return receipt.authorised_booking(code)


def _remember(code: str) -> None:
    receipt.remember_receipt(code)


# --- pages ---------------------------------------------------------------------------------------

def _access_page(code: str, error: str | None = None, status: int = 200) -> Response:
    """The code and phone form; says nothing about whether the booking exists."""
    form = LookupForm(formdata=None, code=reception_services.normalise_code(code))
    if error:
        form.form_errors.append(error)
    return hypermedia.render("casework/progress_access.html", form=form, status=status)


def _progress_page(booking: Booking, form: RatingForm | None = None,
                   status: int = 200) -> Response:
    p = tracking.progress(booking)
    return hypermedia.render(
        "casework/progress.html", "rating", status=status, b=booking, p=p,
        steps=tracking.timeline(p), can_rate=tracking.can_rate(p),
        form=form or RatingForm(formdata=None), remember_minutes=receipt.RECEIPT_MINUTES)


def _to_progress(code: str, anchor: str = receipt.LANDING) -> Response:
    return hypermedia.see_other(url_for("casework_public.progress", code=code, _anchor=anchor))


@bp.get("/bookings/<code>/progress")
def progress(code: str):
    booking = _verified(code)
    return _access_page(code) if booking is None else _progress_page(booking)


@bp.post("/bookings/<code>/progress")
@limiter.limit(LOOKUP_LIMIT)
@limits.per_booking_code
def progress_access(code: str):
    """The code (from the address) and phone checked as the lookup checks them."""
    form = LookupForm()
    booking = None
    if form.validate_on_submit():
        booking = reception_services.find_booking(code, form.phone.data)
    if booking is None:
        return _access_page(code, NOT_FOUND, status=422)
    _remember(booking.code)
    return _to_progress(booking.code)


@bp.post("/bookings/<code>/rating")
@limiter.limit(RATING_LIMIT)
@limits.per_booking_code
def rate(code: str):
    """The rating, with the phone number asked again and checked as cancelling checks it."""
    form = RatingForm()
    valid = form.validate_on_submit()
    booking = reception_services.find_booking(code, form.phone.data or "")
    if booking is None:
        if form.phone.data and not form.phone.errors:
            form.phone.errors.append(phone_error(form.phone.data) or receipt.WRONG_PHONE)
        shown = _verified(code)
        if shown is None:  # neither code and phone nor a remembered verification: nothing shown
            return _access_page(code, NOT_FOUND, status=422)
        return _progress_page(shown, form, status=422)
    code = booking.code
    _remember(code)
    if not valid:
        return _progress_page(booking, form, status=422)
    handover = tracking.progress(booking).handover

    def refused(error: DomainError) -> Response:
        # Drawn from a fresh load: a rollback expires the booking.
        return _progress_page(reception_queries.booking_by_code(code), form, status=error.status)

    return perform(
        lambda: tracking.rate(handover, form.rating.data, form.comment.data, calendar.now()),
        success=lambda _: _to_progress(code, "rating"), done="感谢您的评价，我们已收到。",
        form=form, failure=refused)
