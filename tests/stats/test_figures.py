"""Every figure against the hand-computed county of ``dataset`` (today: Wed 18 Nov 2026).

Period 2–15 Nov 2026 (two weeks); the previous period is 19 Oct – 1 Nov.

Reception, sessions held: A (刘海涛, 2 Nov: 3 places + 2 walk-in places) and B (the formula-named
leader, 10 Nov: 2 places). Not held: C (cancelled), D (20 Nov, after today). A's bookings:
place 1 checked in (party 2), place 2 爽约, place 3 cancelled and booked again (checked in),
walk-in place checked in (party 3). B's: declined, expired (土地权属).
So: sessions 2, places 5, bookings 6 (A 4, B 2), taken 4 (A 3, B's expired 1) -> 80.0%,
cancelled 1, attended 2, no-show 1 -> 1/3, walk-ins 1, people 2 + 1 + 3 = 6.
Previous: P (26 Oct, 2 places, both checked in).
"""
from datetime import date

import pytest

from portal import settings
from portal.extensions import db
from portal.stats import evaluation_queries, public, queries, report
from portal.stats.periods import Period
from tests.stats import dataset

TODAY = date(2026, 11, 18)
NOV = Period(date(2026, 11, 2), date(2026, 11, 15))
ZERO_RECEPTION = dict.fromkeys(queries.RECEPTION_MEASURES, 0)


@pytest.fixture
def county(app):
    dataset.county()


def test_the_previous_period_has_the_same_length_just_before():
    assert NOV.previous() == Period(date(2026, 10, 19), date(2026, 11, 1))
    assert Period(date(2026, 3, 1), date(2026, 3, 1)).previous() == Period(
        date(2026, 2, 28), date(2026, 2, 28))


def test_reception_summary(county):
    figures = queries.reception_summary(NOV, TODAY)
    assert figures["current"] == {"sessions": 2, "places": 5, "bookings": 6, "taken": 4,
                                  "cancelled": 1, "attended": 2, "no_show": 1, "walk_ins": 1,
                                  "people": 6}
    assert figures["previous"] == {**ZERO_RECEPTION, "sessions": 1, "places": 2, "bookings": 2,
                                   "taken": 2, "attended": 2, "people": 2}
    table = next(t for t in report.all_tables(NOV, TODAY) if t.key == "reception")
    rows = {row[0]: row[1:] for row in table.rows}
    assert rows["号源使用率"][:2] == (0.8, 1.0)
    assert rows["爽约率"][0] == pytest.approx(1 / 3)
    assert rows["预约"] == (6, 2, "+4")


def test_reception_by_leader_week_and_category(county):
    by_leader = dict(queries.reception_by_leader(NOV, TODAY))
    assert by_leader["刘海涛"] == {"sessions": 1, "places": 3, "bookings": 4, "taken": 3,
                                 "cancelled": 1, "attended": 2, "no_show": 1, "walk_ins": 1,
                                 "people": 6}
    assert by_leader[dataset.FORMULA_LEADER] == {**ZERO_RECEPTION, "sessions": 1, "places": 2,
                                                 "bookings": 2, "taken": 1}
    by_week = queries.reception_by_week(NOV, TODAY)
    assert sorted(by_week) == [0, 1]
    assert by_week[0]["bookings"] == 4 and by_week[1]["bookings"] == 2
    by_category = dict(queries.bookings_by_category(NOV, TODAY))
    assert by_category["征地拆迁"]["bookings"] == 4 and by_category["征地拆迁"]["people"] == 6
    assert by_category["土地权属"] == {"bookings": 2, "taken": 1, "cancelled": 0, "attended": 0,
                                    "no_show": 0, "walk_ins": 0, "people": 0}


def test_sessions_after_today_are_not_held(county):
    """16–22 Nov: E (today, one confirmed booking) is held, D (20 Nov) not yet."""
    figures = queries.reception_summary(Period(date(2026, 11, 16), date(2026, 11, 22)), TODAY)
    assert figures["current"] == {**ZERO_RECEPTION, "sessions": 1, "places": 1, "bookings": 1,
                                  "taken": 1}


def test_a_single_day(county):
    day = Period(date(2026, 11, 2), date(2026, 11, 2))
    figures = queries.reception_summary(day, TODAY)
    assert figures["current"]["sessions"] == 1 and figures["current"]["bookings"] == 4
    assert figures["previous"] == ZERO_RECEPTION
    assert [w.index for w in day.weeks()] == [0]
    assert queries.reception_by_week(day, TODAY) == {0: figures["current"]}


def test_weeks_across_the_year_boundary(county):
    """Sessions on Tue 30 Dec 2025, Fri 2 Jan 2026 and Mon 5 Jan 2026."""
    week = Period(date(2025, 12, 29), date(2026, 1, 4))
    assert [(w.monday, w.first, w.last) for w in week.weeks()] == [
        (date(2025, 12, 29), date(2025, 12, 29), date(2026, 1, 4))]
    assert {k: v["sessions"] for k, v in queries.reception_by_week(week, TODAY).items()} == {0: 2}
    wider = Period(date(2025, 12, 25), date(2026, 1, 6))
    weeks = wider.weeks()
    assert [(w.first, w.last) for w in weeks] == [
        (date(2025, 12, 25), date(2025, 12, 28)), (date(2025, 12, 29), date(2026, 1, 4)),
        (date(2026, 1, 5), date(2026, 1, 6))]
    assert {k: v["sessions"] for k, v in queries.reception_by_week(wider, TODAY).items()} == {
        1: 2, 2: 1}
    table = next(t for t in report.all_tables(wider, TODAY) if t.key == "reception_weeks")
    assert [row[0] for row in table.rows] == ["2025-12-29 起一周", "2026-01-05—01-06"]
    summary = queries.reception_summary(wider, TODAY)
    assert summary["current"]["sessions"] == 3 and summary["previous"]["sessions"] == 0


def test_handovers(county):
    """H1 open (due 20 Nov), H2 on time, H3 on time by its extension, H4 (opened 26 Oct)
    concluded late on 5 Nov, H5 (opened 26 Oct, due 1 Nov) open and overdue."""
    figures = queries.handover_summary(NOV, TODAY)
    assert figures == {"current": {"opened": 3, "concluded": 3, "on_time": 2, "overdue": 1},
                       "previous": {"opened": 2, "concluded": 0, "on_time": 0}}
    assert dict(queries.handovers_by_unit(NOV, TODAY)) == {
        "县住建局": {"opened": 2, "concluded": 1, "on_time": 1, "overdue": 1},
        dataset.FORMULA_UNIT: {"opened": 1, "concluded": 2, "on_time": 1, "overdue": 0}}
    table = next(t for t in report.all_tables(NOV, TODAY) if t.key == "handovers")
    assert {row[0]: row[1] for row in table.rows}["按期办结率"] == pytest.approx(2 / 3)


def test_ratings_count_china_days(county):
    """满意 (10 Nov), 基本满意 (15 Nov 23:30), 不满意 at 00:30 on 16 Nov — still the 15th in
    UTC, but after the period in China."""
    assert queries.rating_summary(NOV) == {
        "current": {"satisfied": 1, "basically_satisfied": 1, "unsatisfied": 0, "rated": 2},
        "previous": {"satisfied": 0, "basically_satisfied": 0, "unsatisfied": 0, "rated": 0}}
    assert dict(queries.ratings_by_unit(NOV)) == {
        "县住建局": {"satisfied": 1, "basically_satisfied": 0, "unsatisfied": 0, "rated": 1},
        dataset.FORMULA_UNIT: {"satisfied": 0, "basically_satisfied": 1, "unsatisfied": 0,
                               "rated": 1}}
    assert dict(queries.ratings_by_leader(NOV)) == {
        "刘海涛": {"satisfied": 1, "basically_satisfied": 1, "unsatisfied": 0, "rated": 2}}
    later = Period(date(2026, 11, 16), date(2026, 11, 16))
    assert queries.rating_summary(later)["current"]["unsatisfied"] == 1


def test_evaluation(county):
    figures = evaluation_queries.evaluation_summary(NOV, TODAY, 90)
    assert figures["current"] == {"applications": 2, "accepted": 2, "held": 2, "satisfied": 1,
                                  "unsatisfied": 1, "followups_done": 1, "evaluated": 1,
                                  "observed": 0, "settled": 0}
    assert figures["previous"] == {**dict.fromkeys(evaluation_queries.EVALUATION_MEASURES, 0),
                                   "applications": 1}


def test_settled_rate_and_its_window(app):
    dataset.settled_world()
    summer = Period(date(2026, 7, 1), date(2026, 9, 30))
    found = evaluation_queries.evaluation_summary(summer, TODAY, 90)["current"]
    assert (found["evaluated"], found["observed"], found["settled"]) == (5, 4, 2)
    found = evaluation_queries.evaluation_summary(summer, TODAY, 30)["current"]
    assert (found["evaluated"], found["observed"], found["settled"]) == (5, 5, 3)


def test_the_window_is_a_rule_setting(app):
    dataset.settled_world()
    assert report.settled_window() == 90
    assert settings.save({"stats_settled_window_days": "30"}) == {}
    db.session.commit()
    settings.forget_request_copy()
    assert report.settled_window() == 30
    assert settings.save({"stats_settled_window_days": "3"}) != {}


def test_no_data_at_all(app):
    for t in report.all_tables(NOV, TODAY):
        for row in t.rows:
            assert all(v in (0, None, "+0", "—") for v in row[1:]), (t.key, row)
    assert all(t.rows == [] for t in report.all_tables(NOV, TODAY) if t.key.endswith(
        ("leaders", "weeks", "categories", "units")))
    assert [r.people for r in public.month_rows(TODAY)] == ["0"] * 12


def test_transparency_months(county):
    rows = {r.label: r for r in public.month_rows(TODAY)}
    assert list(rows)[0] == "2026年11月（截至今天）" and list(rows)[-1] == "2025年12月"
    november = rows["2026年11月（截至今天）"]
    # A, B and E (today) held; 6 people at A; H2, H3, H4 concluded, H2 and H3 on time; one
    # published hearing (满意): its total is hidden as 满意 is under 5.
    assert (november.sessions, november.people, november.concluded, november.on_time) == (
        "3", "6", "<5", "<5")
    assert (november.hearings, november.satisfied, november.unsatisfied) == ("—", "<5", "0")
    assert (rows["2026年10月"].sessions, rows["2026年10月"].people) == ("1", "<5")
    assert rows["2025年12月"].sessions == "1" and rows["2026年1月"].sessions == "2"


def test_small_numbers_are_never_shown():
    assert [public.shown(n) for n in (0, 1, 4, 5, 12)] == ["0", "<5", "<5", "5", "12"]
