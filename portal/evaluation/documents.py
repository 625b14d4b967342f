"""Documents: the Atom feed of notices and results (feedgen), the opinion letter's content."""
from __future__ import annotations

from datetime import UTC, date, datetime

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
    entries = [_notice_entry(h) for h in notices] + [_result_entry(r) for r in results]
    entries.sort(key=lambda e: e["published"], reverse=True)  # newest first
    for e in entries:
        entry = fg.add_entry(order="append")
        entry.id(e["link"])
        entry.title(e["title"])
        entry.link(href=e["link"])
        entry.published(e["published"])
        entry.updated(e["updated"])
        entry.summary(e["summary"])
    stamps = [datetime(2026, 1, 1, tzinfo=UTC)] + [e["published"] for e in entries]
    fg.updated(max(stamps))
    return fg.atom_str(pretty=True)


def _notice_entry(h: Hearing) -> dict:
    published = _aware(h.notice_published_at)
    return {
        "link": external_url("evaluation.notice", hearing_id=h.id), "published": published,
        "title": f"评价会公告：{h.notice_title}" + ("" if is_live(h) else "（已取消）"),
        "updated": _aware(h.cancelled_at) if h.cancelled_at else published,
        "summary": (
            f"{calendar.format_date(h.day)} {calendar.format_time(h.start_time)}，{h.place}。"
            f"{h.level_label}对{h.matter.unit}办理的{h.matter.category}类信访事项进行第三方评价。"
            f"信访人：{h.notice_party}。{h.notice_summary}")}


def _result_entry(r: PublishedResult) -> dict:
    published = _aware(r.hearing.result_published_at)
    return {
        "link": external_url("evaluation.result", hearing_id=r.hearing.id),
        "published": published, "updated": published,
        "title": f"评价结果：{r.hearing.notice_title} —— {r.poll.result_label}",
        "summary": (
            f"评价结果：{r.poll.result_label}。有效票 {r.poll.valid_count} 张，满意 "
            f"{r.poll.manyi_count} 张，不满意 {r.poll.bumanyi_count} 张。"
            f"第三方评价意见书 {r.letter.number}。")}


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
        "reasons_by": reasons_author(hearing, letter, names),
        "letter_date": document_date(letter.issued_at or letter.updated_at),
        "published_reasons": public_text(letter.reasons, matter.petitioner_name),
    }


def document_date(moment: datetime | date) -> str:
    """A document's date as official documents write it: 2026年12月7日 (no weekday, no time)."""
    if isinstance(moment, datetime):
        moment = _aware(moment).astimezone(calendar.TZ).date()
    return f"{moment.year}年{moment.month}月{moment.day}日"


def reasons_author(hearing: Hearing, letter: OpinionLetter | None, names: dict[int, str]) -> str:
    """Who wrote the letter's reasons: the chair by their evaluator name (主持人 张某), not the
    name of the login they used; office staff by their account name."""
    if letter is None or not letter.reasons_by_id:
        return ""
    for member in hearing.members:
        if member.is_chair and member.evaluator.user_id == letter.reasons_by_id:
            return f"评价小组主持人 {member.evaluator.name}"
    return names.get(letter.reasons_by_id, "")
