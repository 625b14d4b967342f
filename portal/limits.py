"""Request limits keyed on what a request is about, beside the per-address ones on each view.

A per-address limit does not stop one person working from many addresses (a botnet, a mobile
network that hands out a new address per request): these key on the person or the booking.

- ``per_id_number``: booking and 候补, by the keyed hash of the canonical ID number (the
  ``id_hash`` of privacy.lookup_hash: the counter's key in Redis never holds the number).
- ``per_booking_code``: every form that checks a phone number against a booking code (lookup,
  progress, cancel, accept, rating), by the keyed hash of the code: someone who holds a code
  and guesses the phone number runs out of tries, from however many addresses.

A request without a well-formed identifier is exempt here (its form is refused anyway, and the
per-address limit still counts it), so a typo never makes a citizen wait.
"""
from __future__ import annotations

import re

from flask import request

from portal import identity, privacy
from portal.extensions import limiter

# One person books or joins a waiting list once or twice, plus a few retries after a form
# error; ten a day is generous for them and stops a script replaying one stolen number (the
# answer tells whether that person already has a booking). Booking and 候补 share the count.
ID_NUMBER_LIMIT = "10 per day"
# Failed phone checks only (422): a citizen who knows the phone number is never counted. Ten
# wrong numbers a day for one code make guessing even the four hidden digits of a masked
# phone number (10 000 candidates) take years. Several workers may each let one concurrent
# guess through before the count is written: at most one per worker over the limit.
BOOKING_CODE_LIMIT = "10 per day"

_CODE = re.compile(r"[0-9A-Z]{1,20}", re.ASCII)


def id_number_key() -> str | None:
    """'id:<keyed hash>' of the booking form's ID number, or None when it is malformed."""
    number = identity.normalise_id_number(request.form.get("id_number", "")[:100])
    if not identity.is_canonical_id_number(number):
        return None
    return f"id:{privacy.lookup_hash(number)}"


def booking_code_key() -> str | None:
    """'code:<keyed hash>' of the code in the address (receipt actions) or in the lookup form."""
    raw = (request.view_args or {}).get("code") or request.form.get("code", "")
    code = identity.canonical(raw[:100])
    if not _CODE.fullmatch(code):
        return None
    return f"code:{privacy.lookup_hash(code)}"


def _failed(response) -> bool:
    return response.status_code == 422


per_id_number = limiter.shared_limit(
    ID_NUMBER_LIMIT, scope="id-number", methods=["POST"], key_func=id_number_key,
    exempt_when=lambda: id_number_key() is None)

per_booking_code = limiter.shared_limit(
    BOOKING_CODE_LIMIT, scope="booking-code", methods=["POST"], key_func=booking_code_key,
    exempt_when=lambda: booking_code_key() is None, deduct_when=_failed)
