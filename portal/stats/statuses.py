"""The statuses the figures count, each checked against its model's table when imported, so a
renamed status fails at start rather than silently counting nothing."""
from __future__ import annotations

from portal.casework.models import HANDOVER_STATUSES, RATINGS
from portal.evaluation.interface import (
    APPLICATION_STATUSES,
    FOLLOWUP_STATUSES,
    HEARING_STATUSES,
    POLL_STATUSES,
    RESULTS,
)
from portal.reception.models import BOOKING_STATUSES, PLACE_HOLDING, SESSION_STATUSES


def known(table, key: str) -> str:
    if key not in table:
        raise LookupError(f"no status {key!r} in {sorted(table)}")
    return key


SESSION_PUBLISHED = known(SESSION_STATUSES, "published")
BOOKING_CANCELLED = known(BOOKING_STATUSES, "cancelled")
BOOKING_CHECKED_IN = known(BOOKING_STATUSES, "checked_in")
BOOKING_NO_SHOW = known(BOOKING_STATUSES, "no_show")
BOOKING_HOLDING = PLACE_HOLDING  # the statuses that keep a place taken
HANDOVER_OPEN = known(HANDOVER_STATUSES, "open")
HANDOVER_CONCLUDED = known(HANDOVER_STATUSES, "concluded")
RATING_CHOICES = tuple(RATINGS)  # 满意, 基本满意, 不满意
RATING_LABELS = dict(RATINGS)
APPLICATION_ACCEPTED = known(APPLICATION_STATUSES, "accepted")
POLL_CLOSED = known(POLL_STATUSES, "closed")
HEARING_PUBLISHED = known(HEARING_STATUSES, "published")
RESULT_SATISFIED = known(RESULTS, "satisfied")
RESULT_UNSATISFIED = known(RESULTS, "unsatisfied")
FOLLOWUP_DONE = known(FOLLOWUP_STATUSES, "done")
