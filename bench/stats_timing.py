"""Timings of every statistics figure (issue 13): each query of the staff dashboard and of the
public transparency page, for a one-year range ending today, against the database the
environment names (``DATABASE_URL``, as the portal itself reads it).

    python -m bench.stats_timing                       # time what is there
    python -m bench.stats_timing --seed-bookings 1000000 --seed-matters 100000
                                                       # first add volume (bench.stats_volume)

``make bench`` runs it (``--json``) on each database it seeds and puts the table under the
pages' table of that scale.

Each figure: one warm-up run, then the median of 5. Prints a Markdown table and writes
``bench/results/stats-<dialect>.json``. The target is under 300 ms per figure at 1M bookings.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select

from portal import calendar, create_app
from portal.extensions import db
from portal.reception.models import Booking
from portal.stats import evaluation_queries, public, queries, report
from portal.stats.periods import Period

RESULTS = Path(__file__).resolve().parent / "results"
TARGET_MS = 300
RUNS = 5


def figures(period: Period, today: date, window: int) -> dict:
    first = public.first_month(today)
    return {
        "reception summary (with previous year)": lambda: queries.reception_summary(period, today),
        "reception by leader": lambda: queries.reception_by_leader(period, today),
        "reception by week": lambda: queries.reception_by_week(period, today),
        "bookings by category": lambda: queries.bookings_by_category(period, today),
        "hand-over summary (with previous year)": lambda: queries.handover_summary(period, today),
        "hand-overs by unit": lambda: queries.handovers_by_unit(period, today),
        "rating summary (with previous year)": lambda: queries.rating_summary(period),
        "ratings by unit": lambda: queries.ratings_by_unit(period),
        "ratings by leader": lambda: queries.ratings_by_leader(period),
        "evaluation summary incl. 息诉息访 (with previous year)":
            lambda: evaluation_queries.evaluation_summary(period, today, window),
        "transparency: reception by month": lambda: queries.reception_by_month(first, today, today),
        "transparency: hand-overs by month": lambda: queries.handovers_by_month(first, today),
        "transparency: evaluations by month":
            lambda: evaluation_queries.published_evaluations_by_month(first, today),
    }


def time_one(run) -> float:
    queries.prepare()
    run()  # warm-up
    db.session.rollback()
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        queries.prepare()  # as the pages do (PostgreSQL: no JIT for these statements)
        run()
        samples.append((time.perf_counter() - started) * 1000)
        db.session.rollback()
    return statistics.median(samples)


def measure() -> dict:
    today = calendar.now().date()
    period = Period(today - timedelta(days=364), today)
    window = report.settled_window()
    bookings = db.session.scalar(select(func.count(Booking.id)))
    in_range = db.session.scalar(select(func.count(Booking.id)).join(Booking.session).where(
        queries.held(period.start, period.end, today)))
    timings = {name: round(time_one(run), 1) for name, run in figures(period, today, window).items()}
    return {"dialect": db.engine.dialect.name, "bookings": bookings, "bookings_in_range": in_range,
            "range": [period.start.isoformat(), period.end.isoformat()], "median_ms": timings,
            "target_ms": TARGET_MS}


def markdown(result: dict) -> str:
    lines = [f"Statistics timings, {result['dialect']}: {result['bookings']:,} bookings "
             f"({result['bookings_in_range']:,} in the range {result['range'][0]} – "
             f"{result['range'][1]}); median of {RUNS} after a warm-up.", "",
             "| figure | median ms | under 300 ms |", "| --- | ---: | --- |"]
    for name, ms in result["median_ms"].items():
        lines.append(f"| {name} | {ms} | {'yes' if ms < TARGET_MS else 'NO'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed-bookings", type=int, default=0)
    parser.add_argument("--seed-matters", type=int, default=0)
    parser.add_argument("--json", action="store_true",
                        help="print the result as JSON only (make bench reads it)")
    args = parser.parse_args(argv)
    app = create_app()
    with app.app_context():
        if args.seed_bookings or args.seed_matters:
            from bench import stats_volume

            started = time.perf_counter()
            stats_volume.seed(args.seed_bookings, args.seed_matters)
            print(f"seeded in {time.perf_counter() - started:.0f} s")
        result = measure()
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return result
    print(markdown(result))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"stats-{result['dialect']}.json").write_text(
        json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
