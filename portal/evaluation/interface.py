"""What other parts of the portal ask evaluation — the one module they import from it.

Reception asks whether a matter (or a petitioner) was evaluated 满意 and published; the home
page asks for the latest public notices and results; the statistics (``portal.stats``) read
the tables below in SQL aggregates, never writing. Nothing here imports another domain.
"""
from __future__ import annotations

from portal import calendar
from portal.evaluation import queries
from portal.evaluation.codes import (
    APPLICATION_STATUSES,
    FOLLOWUP_STATUSES,
    HEARING_STATUSES,
    POLL_STATUSES,
    RESULTS,
)
from portal.evaluation.models import Application, FollowUp, Hearing, Matter
from portal.evaluation.poll_records import Poll
from portal.identity import canonical_reference

__all__ = ["latest", "satisfied_matter_refusal", "satisfied_petitioners",
           # read-only, for the statistics' aggregates
           "APPLICATION_STATUSES", "FOLLOWUP_STATUSES", "HEARING_STATUSES", "POLL_STATUSES",
           "RESULTS", "Application", "FollowUp", "Hearing", "Matter", "Poll"]

latest = queries.latest
satisfied_petitioners = queries.satisfied_petitioners


def satisfied_matter_refusal(number: str) -> str | None:
    """Why a reception booking naming this matter is refused, or None (DESIGN.md §2).

    A matter evaluated 满意 gets no further county-leader reception; the citizen is told the
    channels that stay open. Matter numbers match case- and space-insensitively.
    """
    key = canonical_reference(number)
    if not key:
        return None
    matter = queries.satisfied_matter(key)
    if matter is None:
        return None
    return (
        f"事项编号为 {matter.number} 的信访事项已于 {calendar.format_date(matter.result_published_on)}"
        "经第三方评价，评价结果为“满意”，依规不再安排县领导接访。您仍可以："
        "在法定期限内申请复查、复核（如尚未申请）；依法通过诉讼、仲裁、行政复议等法定途径解决；"
        "如有新的诉求，可另行提出。"
    )
