"""The benchmark's outputs: JSON per database, the Markdown tables, the README's copy, and the
checks of the write cases (what the database holds against what the citizens were told)."""
from __future__ import annotations

import json
import os
import platform
import re
import time
from datetime import UTC, datetime

from bench import loadgen
from bench.server import ROOT
from bench.stats_timing import markdown as stats_markdown

RESULTS = os.path.join(ROOT, "bench", "results")
LATEST = os.path.join(RESULTS, "latest.md")
README = os.path.join(ROOT, "README.md")
README_START, README_END = "<!-- bench:latest -->", "<!-- /bench:latest -->"
STAMP = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


# --- checks -------------------------------------------------------------------------------------

def write_checks(plan: dict, held: dict, base_held: int, results: dict, settings: dict) -> list:
    checks = []
    race = held[str(plan["capped"])]
    for who, result, count in (("portal", results["burst", "portal"], race["held"]),
                               ("baseline", results["burst", "baseline"], base_held)):
        exact = result["booked"] == plan["capacity"] == count
        clean = not result["server_errors"] and result["errors"] == 0
        checks.append(
            f"{'OK' if exact and clean else 'FAIL'}: burst ({who}) — {result['requests']} of "
            f"{result['attempts']} citizens posted, {settings['burst_connections']} in flight, "
            f"on {plan['capacity']} places: {result['booked']} booked (303), {count} held in "
            f"the database, {result['refused']} refused as full, {result['server_errors']} "
            f"5xx or socket errors, {result['errors'] - result['server_errors']} other "
            f"unexplained answers; statuses {_statuses(result)}")
    spread = results["post", "portal"]
    total = sum(held[str(s)]["held"] for s in plan["uncapped"])
    over = [s for s in plan["uncapped"] if held[str(s)]["held"] > held[str(s)]["places"]]
    ok = not over and total == spread["booked"] and not spread["errors"]
    checks.append(
        f"{'OK' if ok else 'FAIL'}: booking POST (portal) — {spread['requests']} of "
        f"{spread['attempts']} citizens posted within {settings['write_seconds']:.0f} s; "
        f"{spread['booked']} booked, {total} places held in {len(plan['uncapped'])} sessions, "
        f"{'none over capacity' if not over else 'OVER capacity: ' + str(over)}; "
        f"statuses {_statuses(spread)}")
    return checks


def _statuses(result: dict) -> str:
    return ", ".join(f"{k or 'socket error'}×{v}" for k, v in sorted(result["statuses"].items()))


# --- files --------------------------------------------------------------------------------------

def machine() -> dict:
    return {"cpus": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(), "load_average": os.getloadavg(),
            "loadgen": "wrk" if loadgen.have_wrk() else "python"}


def write_json(suite: dict, settings: dict) -> str:
    os.makedirs(RESULTS, exist_ok=True)
    slug = re.sub(r"[^a-z0-9]+", "-", suite["label"].lower()).strip("-")
    path = os.path.join(RESULTS, f"{STAMP}-{slug}.json")
    with open(path, "w") as fh:
        json.dump({"when": STAMP, "machine": machine(), "settings": settings, **suite}, fh,
                  indent=1, default=str, ensure_ascii=False)
    return path


def write_latest(text: str, readme: bool) -> None:
    os.makedirs(RESULTS, exist_ok=True)
    with open(LATEST, "w") as fh:
        fh.write(text)
    if not readme or not os.path.exists(README):
        return
    with open(README) as fh:
        current = fh.read()
    if README_START not in current:
        return
    head, rest = current.split(README_START, 1)
    tail = rest.split(README_END, 1)[1]
    body = text.split("\n", 2)[2]  # without the "# Benchmark" title
    body = re.sub(r"^(#+) ", r"#\1 ", body, flags=re.MULTILINE)  # below the README's section
    with open(README, "w") as fh:
        fh.write(f"{head}{README_START}\n{body.strip()}\n{README_END}{tail}")


# --- Markdown -----------------------------------------------------------------------------------

def _num(value: float) -> str:
    if value != value:  # NaN: nothing completed
        return "–"
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}"


def _bad(result: dict) -> str:
    return str(result.get("non_2xx", result.get("errors", 0)))


def table(run: dict) -> str:
    lines = ["| case | portal req/s | p50 | p90 | p99 ms | non-2xx | baseline req/s | p50 | p90 "
             "| p99 ms | non-2xx | ratio |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for case in run["cases"]:
        p, b = case["portal"], case["baseline"]
        cells = [_num(r[k]) for r in (p, b) for k in ("rps", "p50_ms", "p90_ms", "p99_ms")]
        lines.append(f"| {case['case']} | {' | '.join(cells[:4])} | {_bad(p)} | "
                     f"{' | '.join(cells[4:])} | {_bad(b)} | {p['rps'] / b['rps']:.2f} |")
    return "\n".join(lines)


def growth(runs: list[dict]) -> str:
    small, large = runs[0], runs[-1]
    lines = [f"Growth from {small['scale']:,} to {large['scale']:,} bookings (portal; 1.00 = no "
             "slower; time per request = 1 / req/s):", "",
             "| case | time/request ×  | p50 × | baseline time/request × |",
             "| --- | ---: | ---: | ---: |"]
    for a, b in zip(small["cases"], large["cases"], strict=True):
        lines.append(
            f"| {a['case']} | {a['portal']['rps'] / b['portal']['rps']:.2f} | "
            f"{b['portal']['p50_ms'] / a['portal']['p50_ms']:.2f} | "
            f"{a['baseline']['rps'] / b['baseline']['rps']:.2f} |")
    return "\n".join(lines)


def markdown(suites: list[dict], settings: dict, started: float, load_before) -> str:
    tool = "wrk" if loadgen.have_wrk() else "python http.client load generator"
    head = [
        f"# Benchmark {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {os.cpu_count()} CPUs, {platform.platform()}, Python "
        f"{platform.python_version()}; load generator ({tool}) and servers share it. "
        f"gunicorn {settings['workers']} sync workers for the portal and for the baseline, "
        f"access log off; {settings['connections']} connections, {settings['seconds']:.0f} s "
        "per case after one request per worker (and a warm-up for cases under 20 ms); baseline "
        "and portal alternated case by case, every portal case on a freshly started server. "
        "Baseline: bench/baseline.py, bare Flask + SQLAlchemy + Jinja doing the least work per "
        "case on the same tables (no session, CSRF, rules). Ratio: portal req/s ÷ baseline "
        "req/s. Latencies in ms; non-2xx counts answers ≥ 400 (and, for the POSTs, every answer "
        "but 303). Staff pages with a logged-in reception account. POSTs: each citizen has an "
        "own valid ID number, phone and address (X-Forwarded-For, PROXY_COUNT=1); the portal's "
        "get a cookie and CSRF token from the session page first (untimed).",
    ]
    body = []
    for suite in suites:
        for run in suite["runs"]:
            body += ["", f"## {suite['label']}, {run['scale']:,} bookings", "",
                     f"Seeded (demo county + volume) in {run['seed_seconds']:.0f} s.", "",
                     table(run), ""]
            body += [f"- {c}" for c in run["checks"]]
            if run.get("stats"):
                body += ["", stats_markdown(run["stats"])]
        if len(suite["runs"]) > 1:
            body += ["", f"### {suite['label']}: growth", "", growth(suite["runs"])]
    load_after = os.getloadavg()
    body += ["", f"Total time: {time.monotonic() - started:.0f} s. Load average (1/5/15 min) "
             f"before: {'/'.join(f'{x:.1f}' for x in load_before)}, after: "
             f"{'/'.join(f'{x:.1f}' for x in load_after)} — other work on the machine "
             "moves absolute numbers; compare ratios."]
    return "\n".join(head + body) + "\n"
