"""``make bench``: the portal's speed as ratios against a minimal baseline, in one run.

Builds a fresh SQLite database in a temporary directory (migrations + ``demo seed --bookings
N``), and PostgreSQL too when BENCH_DATABASE_URL is given; starts gunicorn for the portal and
for the baseline (bench/baseline.py) with the same settings on free 127.0.0.1 ports; measures
the public pages with wrk (or the Python fallback) and the booking form with concurrent
citizens; prints a table and writes it to bench/results/latest.md.

Every portal measurement gets a freshly started server (stopped at once afterwards), so
requests still queued from a slow endpoint never leak into the next one.

Settings (environment): BENCH_BOOKINGS (200000), BENCH_SECONDS per endpoint (10),
BENCH_WARMUP seconds of wrk warm-up for fast endpoints (2), BENCH_CONNECTIONS (32),
BENCH_TIMEOUT per request (10), BENCH_WORKERS gunicorn workers (4), BENCH_BURST citizens racing
for one session of BENCH_RACE_PLACES places (600, 10), BENCH_WRITES citizens spread over
60-place sessions with room for all (1200), BENCH_WRITE_CONCURRENCY (32), BENCH_WRITE_SECONDS
time budget of each write phase (15), BENCH_LOADGEN (wrk|python), BENCH_DATABASE_URL (a
disposable PostgreSQL database; it must be empty, or set BENCH_RESET_DATABASE=1 to drop its
public schema first).
"""
from __future__ import annotations

import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from bench import loadgen, writes

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "bench", "results", "latest.md")
LOGS = os.path.join(ROOT, "bench", "results", "logs")  # server logs of the last run
BIN = os.path.join(ROOT, ".venv", "bin")
SECRET_KEY = "bench-secret-key-not-for-production"
DATA_KEY = "bench-data-key-not-for-production"
FAST_MS = 20  # endpoints answering a single request faster than this get a wrk warm-up
BOOKABLE_RE = re.compile(r'class="button" href="/reception/sessions/(\d+)"')


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


SETTINGS = {
    "bookings": _env_int("BENCH_BOOKINGS", 200_000),
    "seconds": float(os.environ.get("BENCH_SECONDS", 10)),
    "warmup": float(os.environ.get("BENCH_WARMUP", 2)),
    "connections": _env_int("BENCH_CONNECTIONS", 32),
    "workers": _env_int("BENCH_WORKERS", 4),
    "timeout": float(os.environ.get("BENCH_TIMEOUT", 10)),
    "burst": _env_int("BENCH_BURST", 600),
    "race_places": _env_int("BENCH_RACE_PLACES", 10),
    "writes": _env_int("BENCH_WRITES", 1200),
    "write_concurrency": _env_int("BENCH_WRITE_CONCURRENCY", 32),
    "write_seconds": float(os.environ.get("BENCH_WRITE_SECONDS", 15)),
}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _tool(name: str) -> list[str]:
    path = os.path.join(BIN, name)
    return [path] if os.path.exists(path) else [sys.executable, "-m", name]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_env(database_url: str, **extra: str) -> dict:
    env = dict(os.environ)
    # Hermetic: no Redis (rate limits in memory per worker), no inherited database.
    for name in ("REDIS_URL", "DATABASE_URL", "PUBLIC_BASE_URL", "GUNICORN_BIND"):
        env.pop(name, None)
    env.update(DATABASE_URL=database_url, SECRET_KEY=SECRET_KEY, DATA_KEY=DATA_KEY,
               PYTHONDONTWRITEBYTECODE="1", **extra)
    return env


def run_cli(args: list[str], env: dict, timeout: float = 1800) -> str:
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


# --- databases ----------------------------------------------------------------------------------

def build_database(url: str) -> None:
    env = app_env(url)
    flask = _tool("flask") + ["--app", "wsgi"]
    log(f"migrating {_safe(url)}")
    run_cli(flask + ["db", "upgrade"], env)
    log(f"seeding the demo county + {SETTINGS['bookings']} bookings")
    started = time.monotonic()
    out = run_cli(flask + ["demo", "seed", "--bookings", str(SETTINGS["bookings"])], env)
    log(f"seeded in {time.monotonic() - started:.0f} s: {out.strip().splitlines()[-1]}")


def check_postgres_is_disposable(url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            tables = sa.inspect(conn).get_table_names()
            if tables and os.environ.get("BENCH_RESET_DATABASE") != "1":
                raise SystemExit(f"BENCH_DATABASE_URL has {len(tables)} tables: give an empty, "
                                 "disposable database, or set BENCH_RESET_DATABASE=1")
            if tables:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def _safe(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)


# --- servers ------------------------------------------------------------------------------------

class Server:
    """gunicorn with the project's config file, access log off; a context manager."""

    def __init__(self, name: str, target: str, env: dict, logdir: str, ready_path: str = "/"):
        self.name, self.port, self.ready_path = name, free_port(), ready_path
        self.log_path = os.path.join(logdir, f"{name}.log")
        env = dict(env, GUNICORN_BIND=f"127.0.0.1:{self.port}",
                   GUNICORN_WORKERS=str(SETTINGS["workers"]))
        self._log = open(self.log_path, "a")  # noqa: SIM115 (closed in stop())
        self.proc = subprocess.Popen(
            _tool("gunicorn") + ["--config", "gunicorn.conf.py", "--access-logfile", "/dev/null",
                                 target],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)

    def __enter__(self) -> Server:
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                if get(self.port, self.ready_path)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not start; log:\n{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        self._log.flush()
        with open(self.log_path, errors="replace") as fh:
            return "".join(fh.readlines()[-lines:])

    def stop(self) -> None:
        """Quick shutdown (SIGINT): requests still queued from a slow endpoint are dropped."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # its own process group only
                self.proc.wait(timeout=10)
        if not self._log.closed:
            self._log.close()


def get(port: int, path: str, headers: dict | None = None, timeout: float = 30):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def find_open_session(port: int) -> int:
    for path in ("/reception/", "/"):
        status, body = get(port, path, timeout=300)
        if status == 200 and (found := BOOKABLE_RE.findall(body)):
            return int(found[0])
    raise RuntimeError("no session open for booking on the schedule or the home page")


# --- measuring ----------------------------------------------------------------------------------

def single(port: int, path: str, headers: dict | None = None, fragment: bool = False) -> float:
    """One request on an idle server: checks the answer, returns its time in ms."""
    started = time.perf_counter()
    status, body = get(port, path, headers, timeout=300)
    elapsed = (time.perf_counter() - started) * 1000
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}")
    if fragment and ("<html" in body or "data-free-places" not in body):
        raise RuntimeError(f"GET {path} with HX-Request did not answer the fragment")
    return elapsed


def prime(port: int, path: str, headers: dict | None) -> None:
    """One request per worker, all at once, answered before the clock starts."""
    with ThreadPoolExecutor(SETTINGS["workers"]) as pool:
        list(pool.map(lambda _i: get(port, path, headers, timeout=300),
                      range(SETTINGS["workers"])))


def measure(server: Server, path: str, headers: dict | None = None,
            single_ms: float = 0.0) -> dict:
    """Prime the workers, warm up (fast endpoints only), then measure.

    A wrk warm-up leaves up to `connections` requests queued in the server when it stops; on a
    slow endpoint they would still be running when the measurement starts, so endpoints slower
    than FAST_MS on a single request are only primed.
    """
    url = server.url(path)
    prime(server.port, path, headers)
    if SETTINGS["warmup"] > 0 and single_ms < FAST_MS:
        loadgen.measure(url, SETTINGS["warmup"], SETTINGS["connections"], headers,
                        SETTINGS["timeout"])
    result = loadgen.measure(url, SETTINGS["seconds"], SETTINGS["connections"], headers,
                             SETTINGS["timeout"])
    log(f"  {path}: {result['requests']} done, {result['rps']:.1f} req/s, "
        f"p50 {result['p50_ms']:.1f} ms, "
        f"p99 {result['p99_ms']:.1f} ms, errors {result['errors']}")
    return result


def run_suite(label: str, url: str, logdir: str) -> dict:
    build_database(url)
    env = app_env(url, PROXY_COUNT="1")  # citizens' addresses come in X-Forwarded-For
    base_env = dict(env, BASELINE_DATABASE_URL=url)
    rows: list[tuple[str, dict]] = []
    checks: list[str] = []
    portal = lambda: Server(f"portal-{label}", "wsgi:app", env, logdir,  # noqa: E731
                            ready_path="/reception/lookup")
    with portal() as server:
        session_id = find_open_session(server.port)
    hx = {"HX-Request": "true"}
    reads = [
        ("GET / (home)", "/", None),
        ("GET /reception/ (schedule)", "/reception/", None),
        (f"GET /reception/sessions/{session_id}", f"/reception/sessions/{session_id}", None),
        (f"GET /reception/sessions/{session_id}/places (HX-Request fragment)",
         f"/reception/sessions/{session_id}/places", hx),
    ]
    log(f"[{label}] reads: {SETTINGS['seconds']:.0f} s each, {SETTINGS['connections']} "
        f"connections, {SETTINGS['workers']} workers per server")
    with Server(f"baseline-{label}", "bench.baseline:app", base_env, logdir) as baseline:
        singles = {"baseline GET /": single(baseline.port, "/")}
        first = measure(baseline, "/", single_ms=singles["baseline GET /"])
        rows.append(("baseline GET / (20 rows, start)", first))
        for name, path, headers in reads:
            with portal() as server:
                singles[name] = single(server.port, path, headers, fragment=headers is not None)
                rows.append((name, measure(server, path, headers, singles[name])))
        last = measure(baseline, "/", single_ms=singles["baseline GET /"])
        rows.append(("baseline GET / (20 rows, end)", last))
    base_rps = (first["rps"] + last["rps"]) / 2

    log(f"[{label}] writes: creating sessions for the booking benchmark")
    plan = json.loads(run_cli([sys.executable, "-m", "bench.prepare", "setup",
                               str(SETTINGS["writes"]), str(SETTINGS["race_places"])],
                              app_env(url)))
    concurrency, budget = SETTINGS["write_concurrency"], SETTINGS["write_seconds"]
    log(f"[{label}] writes: {len(plan['uncapped']) + 1} sessions made; {concurrency} in flight, "
        f"{budget:.0f} s per phase")
    with portal() as server:
        burst = writes.run(server.port, writes.citizens(1, SETTINGS["burst"], [plan["capped"]]),
                           concurrency, plan["category"], budget)
        log(f"  race: {burst['rps']:.1f} POST/s, {burst['booked']} booked")
        rows.append((f"POST booking: {burst['requests']} citizens race for "
                     f"{plan['capacity']} places", burst))
        spread = writes.run(server.port, writes.citizens(100_000, SETTINGS["writes"],
                                                         plan["uncapped"]),
                            concurrency, plan["category"], budget)
        log(f"  room for all: {spread['rps']:.1f} POST/s, {spread['booked']} booked")
        rows.append((f"POST booking: {spread['requests']} citizens, room for all", spread))
    held = json.loads(run_cli([sys.executable, "-m", "bench.prepare", "count",
                               str(plan["capped"]), *map(str, plan["uncapped"])], app_env(url)))
    checks += capacity_checks(plan, held, burst, spread)
    for name, result in rows:
        if result.get("errors"):
            checks.append(f"WARN: {name}: {result['errors']} errors (timeouts, non-2xx/3xx or "
                          "socket errors); latencies cover completed requests only")
    checks += [f"single request on an idle server, {name}: {ms:.0f} ms"
               for name, ms in singles.items()]
    log_path = os.path.join(logdir, f"portal-{label}.log")
    with open(log_path, errors="replace") as fh:
        text = fh.read()
    # Tracebacks ending in SystemExit are workers stopped mid-request by our quick shutdown.
    for marker, what in (("unhandled error on", "unhandled errors (HTTP 500)"),
                         ("WORKER TIMEOUT", "workers killed by gunicorn's 30 s timeout")):
        if count := text.count(marker):
            checks.append(f"WARN: {count} {what}: see {os.path.relpath(log_path, ROOT)}")
    return {"label": label, "rows": rows, "baseline_rps": base_rps, "checks": checks}


def capacity_checks(plan: dict, held: dict, burst: dict, spread: dict) -> list[str]:
    """The database's count of held places against what the citizens were told."""
    checks = []
    race = held[str(plan["capped"])]
    ok = race["held"] <= race["places"] and race["held"] == burst["booked"]
    full = "full" if race["held"] == race["places"] else "not filled within the time budget"
    checks.append(
        f"{'OK' if ok else 'FAIL'}: race — {burst['requests']} of {burst['attempts']} citizens "
        f"got to POST within {SETTINGS['write_seconds']:.0f} s; {burst['booked']} bookings "
        f"accepted (303), {race['held']} places held of {race['places']} ({full}); "
        f"answers {_statuses(burst)}")
    total = sum(held[str(s)]["held"] for s in plan["uncapped"])
    over = [s for s in plan["uncapped"] if held[str(s)]["held"] > held[str(s)]["places"]]
    ok = not over and total == spread["booked"]
    checks.append(
        f"{'OK' if ok else 'FAIL'}: room for all — {spread['requests']} of {spread['attempts']} "
        f"citizens got to POST within {SETTINGS['write_seconds']:.0f} s; {spread['booked']} "
        f"bookings accepted, {total} places held in {len(plan['uncapped'])} sessions, "
        f"{'none over capacity' if not over else 'OVER capacity: ' + str(over)}; "
        f"answers {_statuses(spread)}")
    return checks


def _statuses(result: dict) -> str:
    return ", ".join(f"{k or 'socket error'}×{v}" for k, v in sorted(result["statuses"].items()))


# --- output -------------------------------------------------------------------------------------

def table(suite: dict) -> str:
    lines = ["| endpoint | req/s | p50 ms | p99 ms | ratio vs baseline req/s |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for name, r in suite["rows"]:
        errors = f" ({r['errors']} errors)" if r.get("errors") else ""
        if not r["requests"]:
            errors += f" (none completed within {SETTINGS['timeout']:.0f} s)"
        lines.append(f"| {name}{errors} | {_num(r['rps'])} | {_num(r['p50_ms'])} | "
                     f"{_num(r['p99_ms'])} | {r['rps'] / suite['baseline_rps']:.3f} |")
    return "\n".join(lines)


def _num(value: float) -> str:
    if value != value:  # NaN: nothing completed
        return "–"
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}"


def report(suites: list[dict], started: float, load_before: tuple) -> str:
    tool = "wrk" if loadgen.have_wrk() else "python http.client load generator"
    head = [
        f"# Benchmark {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {os.cpu_count()} CPUs, {platform.platform()}, Python "
        f"{platform.python_version()}. Load: {tool}, {SETTINGS['connections']} connections, "
        f"{SETTINGS['seconds']:.0f} s per endpoint, after one request per worker (and "
        f"{SETTINGS['warmup']:.0f} s of warm-up for endpoints under {FAST_MS} ms); "
        f"gunicorn {SETTINGS['workers']} sync workers per server, access log off; load generator "
        f"and servers share the machine. Data: demo county + {SETTINGS['bookings']} bookings. "
        "Ratio: req/s over the mean of the two baseline runs (bench/baseline.py: Flask + "
        "SQLAlchemy + Jinja, 20 rows from the same booking table, loader-cached template).",
        "Every portal row runs on a freshly started server. Writes: each citizen GETs "
        "/reception/lookup for a cookie + CSRF token (untimed), then POSTs the real booking form "
        f"of the session page, {SETTINGS['write_concurrency']} in flight, no new POST after "
        f"{SETTINGS['write_seconds']:.0f} s; each citizen has a valid ID number of their own and "
        "an own address via X-Forwarded-For (portal started with PROXY_COUNT=1, as behind "
        "nginx), so the per-address rate limit holds per citizen, as in production.",
    ]
    body = []
    for suite in suites:
        body += ["", f"## {suite['label']}", "", table(suite), ""]
        body += [f"- {c}" for c in suite["checks"]]
    load_after = os.getloadavg()
    body += ["", f"Total time: {time.monotonic() - started:.0f} s. Load average (1/5/15 min) "
             f"before: {'/'.join(f'{x:.1f}' for x in load_before)}, after: "
             f"{'/'.join(f'{x:.1f}' for x in load_after)} — other work on the machine "
             "shows here and moves absolute numbers; compare ratios."]
    return "\n".join(head + body) + "\n"


def main() -> int:
    started = time.monotonic()
    load_before = os.getloadavg()
    suites = []
    shutil.rmtree(LOGS, ignore_errors=True)
    os.makedirs(LOGS)
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as workdir:
        targets = [("SQLite", f"sqlite:///{os.path.join(workdir, 'bench.sqlite3')}")]
        if pg := os.environ.get("BENCH_DATABASE_URL"):
            check_postgres_is_disposable(pg)
            targets.append(("PostgreSQL", pg))
        for label, url in targets:
            suites.append(run_suite(label, url, LOGS))
    text = report(suites, started, load_before)
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS, "w") as fh:
        fh.write(text)
    print(text)
    log(f"written to {os.path.relpath(RESULTS, ROOT)}")
    return 1 if any(c.startswith("FAIL") for s in suites for c in s["checks"]) else 0


if __name__ == "__main__":
    shutil.which("wrk") or log("wrk not found: using the Python load generator (apt-get install wrk)")
    sys.exit(main())
