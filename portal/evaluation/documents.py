"""Documents: the Atom feed of notices and results (feedgen), the opinion letter's content."""
from __future__ import annotations

from datetime import UTC, datetime

from feedgen.feed import FeedGenerator

from portal import calendar
from portal.evaluation.fields import public_text
from portal.evaluation.guards import is_live
from portal.evaluation.models import Hearing, Matter, OpinionLetter
from portal.evaluation.poll_records import Poll
from portal.evaluation.queries import PublishedResult, user_names
from portal.request_guard import external_url

FEED_TITLE = "县信访局 · 评价会公告和评价结果"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def atom_feed(notices: list[Hearing], results: list[PublishedResult]) -> bytes:
    """A valid Atom 1.0 feed: one entry per published notice and per published result.

    Links are absolute under PUBLIC_BASE_URL (the feed is cached publicly: a Host header must
    never choose them)."""
    fg = FeedGenerator()
    fg.id(external_url("evaluation.feed"))
    fg.title(FEED_TITLE)
    fg.subtitle("不满意信访事项第三方评价：评价会公告、评价结果")
    fg.author({"name": "县信访局"})
    fg.link(href=external_url("evaluation.feed"), rel="self")
    fg.link(href=external_url("evaluation.notices"), rel="alternate")
    fg.language("zh-CN")
    stamps = [datetime(2026, 1, 1, tzinfo=UTC)]
    for h in notices:
        link = external_url("evaluation.notice", hearing_id=h.id)
        entry = fg.add_entry(order="append")
        entry.id(link)
        entry.title(f"评价会公告：{h.notice_title}" + ("" if is_live(h) else "（已取消）"))
        entry.link(href=link)
        published = _aware(h.notice_published_at)
        entry.published(published)
        entry.updated(_aware(h.cancelled_at) if h.cancelled_at else published)
        entry.summary(
            f"{calendar.format_date(h.day)} {calendar.format_time(h.start_time)}，{h.place}。"
            f"{h.level_label}对{h.matter.unit}办理的{h.matter.category}类信访事项进行第三方评价。"
            f"信访人：{h.notice_party}。{h.notice_summary}")
        stamps.append(published)
    for r in results:
        link = external_url("evaluation.result", hearing_id=r.hearing.id)
        entry = fg.add_entry(order="append")
        entry.id(link)
        entry.title(f"评价结果：{r.hearing.notice_title} —— {r.poll.result_label}")
        entry.link(href=link)
        published = _aware(r.hearing.result_published_at)
        entry.published(published)
        entry.updated(published)
        entry.summary(
            f"评价结果：{r.poll.result_label}。有效票 {r.poll.valid_count} 张，满意 "
            f"{r.poll.manyi_count} 张，不满意 {r.poll.bumanyi_count} 张。"
            f"第三方评价意见书 {r.letter.number}。")
        stamps.append(published)
    fg.updated(max(stamps))
    return fg.atom_str(pretty=True)


def letter_context(hearing: Hearing, poll: Poll, letter: OpinionLetter) -> dict:
    """Everything the printable 第三方评价意见书 shows, taken from the hearing's record."""
    matter: Matter = hearing.matter
    members = hearing.members
    present = [m for m in members if m.present]
    chair = next((m for m in members if m.is_chair), None)
    names = user_names([letter.reasons_by_id, letter.issued_by_id])
    return {
        "hearing": hearing, "matter": matter, "poll": poll, "letter": letter,
        "members": members, "present": present, "chair": chair,
        "absent": [m for m in members if m.present is False],
        "reasons_by": names.get(letter.reasons_by_id, ""),
        "published_reasons": public_text(letter.reasons, matter.petitioner_name),
    }
