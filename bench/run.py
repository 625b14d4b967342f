"""``make bench``: the portal's speed as ratios against a minimal baseline, in one run.

For each database (SQLite always; PostgreSQL when BENCH_DATABASE_URL is given, with Redis when
BENCH_REDIS_URL is given) and each scale of BENCH_SCALES bookings, a fresh database is migrated
and seeded (``demo seed --bookings N --matters N/10``, timed), then every case is measured on
the portal and on the baseline (bench/baseline.py) under gunicorn with the same worker count,
alternated case by case (baseline, then portal), each after one request per worker and, for
fast pages, a warm-up. Every portal measurement gets a freshly started server (stopped at once
afterwards), so requests still queued from a slow case never leak into the next one.

Cases: the public pages, the evaluation pages, the feed, two staff pages with a logged-in
reception account, the booking POST through the real form (distinct citizens, CSRF token from
the session page) against the bare booking endpoint, and a burst of BENCH_BURST_CONNECTIONS
(64) connections on a 50-place session, which must end with exactly 50 bookings, no 5xx and
every other answer a refusal saying the session is full.

Writes bench/results/<timestamp>-<db>.json and bench/results/latest.md (req/s, p50, p90, p99,
non-2xx for portal and baseline, the ratio, at every scale, and the growth from the smallest to
the largest scale); a full run (not BENCH_QUICK) also puts the table into README.md.

Settings (environment): BENCH_SCALES ("1000,1000000"), BENCH_MATTERS (scale/10), BENCH_SECONDS
per case (10), BENCH_WARMUP (2), BENCH_CONNECTIONS (32), BENCH_WORKERS (2 × cores + 1),
BENCH_TIMEOUT (10), BENCH_WRITES citizens booking with room for all (1200), BENCH_WRITE_SECONDS
budget per write phase (15), BENCH_BURST citizens (256), BENCH_BURST_CONNECTIONS (64),
BENCH_RACE_PLACES (50), BENCH_LOADGEN (wrk|python), BENCH_DATABASE_URL (a disposable
PostgreSQL database: empty, or BENCH_RESET_DATABASE=1 to drop its public schema; the bench drops
it again between scales), BENCH_REDIS_URL (a disposable Redis database: flushed before each
scale). BENCH_QUICK=1: 1k only, 3 s per case, fewer writes — for development;
BENCH_SKIP_SQLITE=1 measures PostgreSQL alone (development too).
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

from bench import baseline, loadgen, report, writes
from bench.server import Server, app_env, get, log, run_cli, safe, staff_cookie, tool

QUICK = os.environ.get("BENCH_QUICK") == "1"
FAST_MS = 20  # cases answering a single request faster than this get a wrk warm-up
LOGS = os.path.join(report.RESULTS, "logs")  # server logs of the last run


def _env(name: str, default, cast=int):
    return cast(os.environ.get(name, default))


SETTINGS = {
    "scales": [int(s) for s in _env("BENCH_SCALES", "1000" if QUICK else "1000,1000000",
                                    str).split(",")],
    "matters": os.environ.get("BENCH_MATTERS"),
    "seconds": _env("BENCH_SECONDS", 3 if QUICK else 10, float),
    "warmup": _env("BENCH_WARMUP", 1 if QUICK else 2, float),
    "connections": _env("BENCH_CONNECTIONS", 32),
    "workers": _env("BENCH_WORKERS", 2 * (os.cpu_count() or 1) + 1),
    "timeout": _env("BENCH_TIMEOUT", 10, float),
    "writes": _env("BENCH_WRITES", 300 if QUICK else 1200),
    "write_seconds": _env("BENCH_WRITE_SECONDS", 8 if QUICK else 15, float),
    "burst": _env("BENCH_BURST", 256),
    "burst_connections": _env("BENCH_BURST_CONNECTIONS", 64),
    "race_places": _env("BENCH_RACE_PLACES", 50),
    "quick": QUICK,
}


# --- databases ----------------------------------------------------------------------------------

def fresh_database(label: str, workdir: str, scale: int) -> str:
    if label == "SQLite":
        return f"sqlite:///{os.path.join(workdir, f'bench-{scale}.sqlite3')}"
    import sqlalchemy as sa

    url = os.environ["BENCH_DATABASE_URL"]
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
    return url


def check_postgres_is_disposable(url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            tables = sa.inspect(conn).get_table_names()
    finally:
        engine.dispose()
    if tables and os.environ.get("BENCH_RESET_DATABASE") != "1":
        raise SystemExit(f"BENCH_DATABASE_URL has {len(tables)} tables: give an empty, "
                         "disposable database, or set BENCH_RESET_DATABASE=1")


def flush_redis(url: str | None) -> None:
    if url:
        import redis

        redis.Redis.from_url(url).flushdb()


def build(url: str, scale: int) -> float:
    """Migrate and seed; the seed's time in seconds."""
    env = app_env(url)
    flask = tool("flask") + ["--app", "wsgi"]
    run_cli(flask + ["db", "upgrade"], env)
    matters = int(SETTINGS["matters"]) if SETTINGS["matters"] else scale // 10
    log(f"seeding the demo county + {scale} bookings + {matters} matters into {safe(url)}")
    started = time.monotonic()
    out = run_cli(flask + ["demo", "seed", "--bookings", str(scale), "--matters", str(matters)],
                  env)
    seconds = time.monotonic() - started
    log(f"seeded in {seconds:.0f} s: {' / '.join(out.strip().splitlines()[-2:])}")
    return seconds


def prepare(url: str, *args) -> dict:
    return json.loads(run_cli([sys.executable, "-m", "bench.prepare", *map(str, args)],
                              app_env(url)))


# --- measuring ----------------------------------------------------------------------------------

def single(port: int, path: str, headers: dict | None) -> float:
    """One request on an idle server: checks the answer, returns its time in ms."""
    started = time.perf_counter()
    status, body = get(port, path, headers)
    elapsed = (time.perf_counter() - started) * 1000
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}: {body[:200]}")
    return elapsed


def measure(server: Server, path: str, headers: dict | None) -> dict:
    """Check one answer, prime the workers, warm up (fast cases only), then measure.

    A wrk warm-up leaves up to `connections` requests queued in the server when it stops; on a
    slow case they would still be running when the measurement starts, so cases slower than
    FAST_MS on a single request are only primed.
    """
    single_ms = single(server.port, path, headers)
    workers = SETTINGS["workers"]
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda _i: get(server.port, path, headers), range(workers)))
    url = server.url(path)
    if SETTINGS["warmup"] > 0 and single_ms < FAST_MS:
        loadgen.measure(url, SETTINGS["warmup"], SETTINGS["connections"], headers,
                        SETTINGS["timeout"])
    result = loadgen.measure(url, SETTINGS["seconds"], SETTINGS["connections"], headers,
                             SETTINGS["timeout"])
    result["single_ms"] = single_ms
    log(f"  {server.name.split('-')[0]:8} {path}: {result['rps']:.1f} req/s, "
        f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
        f"errors {result['errors']}")
    return result


def read_cases(targets: dict, cookie: str) -> list[tuple[str, str, dict | None]]:
    session, day, result = targets["open_session"], targets["day_session"], targets["result"]
    staff = {"Cookie": cookie}
    return [
        ("GET / (home)", "/", None),
        ("GET /reception/ (schedule)", "/reception/", None),
        ("GET a session page (booking form)", f"/reception/sessions/{session}", None),
        ("GET /places fragment (HX-Request)", f"/reception/sessions/{session}/places",
         {"HX-Request": "true"}),
        ("GET /evaluation/notices/", "/evaluation/notices/", None),
        ("GET /evaluation/results/", "/evaluation/results/", None),
        ("GET a result page", f"/evaluation/results/{result}", None),
        ("GET /evaluation/feed.xml", "/evaluation/feed.xml", None),
        ("GET staff day view (50 visitors)", f"/staff/reception/sessions/{day}/day", staff),
        ("GET staff supervision list", "/staff/supervision/", staff),
    ]


def run_scale(label: str, url: str, scale: int, redis_url: str | None) -> dict:
    flush_redis(redis_url)
    seed_seconds = build(url, scale)
    # The statistics figures (issue 13), timed on the seeded database before any load.
    stats = json.loads(run_cli([sys.executable, "-m", "bench.stats_timing", "--json"],
                               app_env(url)).strip().splitlines()[-1])
    baseline.setup(url, {})
    targets = prepare(url, "targets")
    env = app_env(url, redis_url, PROXY_COUNT="1")  # citizens' addresses in X-Forwarded-For
    base_env = dict(env, BASELINE_DATABASE_URL=url)
    workers = SETTINGS["workers"]

    def portal(name: str) -> Server:
        return Server(f"portal-{label}-{scale}-{name}", "wsgi:app", env, LOGS, workers,
                      ready_path="/reception/lookup")

    with portal("login") as server:
        cookie = staff_cookie(server.port)
    cases = []
    log(f"[{label} {scale}] reads: {SETTINGS['seconds']:.0f} s each, "
        f"{SETTINGS['connections']} connections, {workers} workers per server")
    with Server(f"baseline-{label}-{scale}", "bench.baseline:app", base_env, LOGS,
                workers) as base:
        for index, (name, path, headers) in enumerate(read_cases(targets, cookie)):
            base_result = measure(base, path, None if headers and "Cookie" in headers
                                  else headers)
            with portal(f"read{index}") as server:
                cases.append({"case": name, "path": path,
                              "baseline": base_result, "portal": measure(server, path, headers)})
        write_cases, checks = run_writes(label, url, scale, base, portal)
    cases += write_cases
    checks += server_log_checks(label, scale)
    return {"scale": scale, "seed_seconds": seed_seconds, "targets": targets, "cases": cases,
            "checks": checks, "stats": stats}


def run_writes(label: str, url: str, scale: int, base: Server, portal) -> tuple[list, list]:
    plan = prepare(url, "setup", SETTINGS["writes"], SETTINGS["race_places"])
    capacities = {plan["capped"]: plan["capacity"],
                  **{s: SETTINGS["writes"] for s in plan["uncapped"]}}
    baseline.setup(url, capacities)
    budget, connections = SETTINGS["write_seconds"], SETTINGS["connections"]
    room = writes.citizens(100_000, SETTINGS["writes"], plan["uncapped"])
    burst = writes.citizens(1, SETTINGS["burst"], [plan["capped"]])
    log(f"[{label} {scale}] writes: {len(room)} citizens with room for all, {connections} in "
        f"flight; burst of {len(burst)} on {plan['capacity']} places, "
        f"{SETTINGS['burst_connections']} in flight")
    results = {}
    for case, people, conns in (("post", room, connections),
                                ("burst", burst, SETTINGS["burst_connections"])):
        results[case, "baseline"] = writes.run(base.port, people, conns, plan["category"],
                                               budget, target="baseline")
        with portal(case) as server:
            results[case, "portal"] = writes.run(server.port, people, conns, plan["category"],
                                                 budget)
    held = prepare(url, "count", plan["capped"], *plan["uncapped"])
    base_held = baseline.booked(url, plan["capped"])
    cases = [
        {"case": "POST booking (real form, distinct citizens)", "path": "POST",
         "baseline": results["post", "baseline"], "portal": results["post", "portal"]},
        {"case": f"POST burst: {SETTINGS['burst_connections']} connections, "
                 f"{plan['capacity']}-place session", "path": "POST",
         "baseline": results["burst", "baseline"], "portal": results["burst", "portal"]},
    ]
    checks = report.write_checks(plan, held, base_held, results, SETTINGS)
    return cases, checks


def server_log_checks(label: str, scale: int) -> list[str]:
    checks = []
    for name in sorted(os.listdir(LOGS)):
        if not name.startswith(f"portal-{label}-{scale}-"):
            continue
        with open(os.path.join(LOGS, name), errors="replace") as fh:
            text = fh.read()
        for marker, what in (("unhandled error on", "unhandled errors (HTTP 500)"),
                             ("WORKER TIMEOUT", "workers killed by gunicorn's 30 s timeout")):
            if count := text.count(marker):
                checks.append(f"WARN: {count} {what}: see bench/results/logs/{name}")
    return checks


def main() -> int:
    started, load_before = time.monotonic(), os.getloadavg()
    shutil.rmtree(LOGS, ignore_errors=True)
    os.makedirs(LOGS)
    targets = [] if os.environ.get("BENCH_SKIP_SQLITE") == "1" else [("SQLite", None)]
    if pg := os.environ.get("BENCH_DATABASE_URL"):
        check_postgres_is_disposable(pg)
        targets.append(("PostgreSQL", os.environ.get("BENCH_REDIS_URL")))
    suites = []
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as workdir:
        for label, redis_url in targets:
            runs = []
            for scale in SETTINGS["scales"]:
                url = fresh_database(label, workdir, scale)
                runs.append(run_scale(label, url, scale, redis_url))
                if label == "SQLite":
                    os.remove(url.removeprefix("sqlite:///"))  # a 1M database is ~1 GB
            suites.append({"label": label + (" + Redis" if redis_url else ""), "runs": runs})
            report.write_json(suites[-1], SETTINGS)
    text = report.markdown(suites, SETTINGS, started, load_before)
    report.write_latest(text, readme=not QUICK)
    print(text)
    return 1 if any(c.startswith("FAIL") for s in suites for r in s["runs"]
                    for c in r["checks"]) else 0


if __name__ == "__main__":
    shutil.which("wrk") or log("wrk not found: using the Python load generator (apt-get install wrk)")
    sys.exit(main())
