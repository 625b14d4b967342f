"""The booking write benchmark, through the real form over HTTP.

Each simulated citizen has their own address (sent as X-Forwarded-For; the portal runs with
PROXY_COUNT=1, as behind nginx, so the per-address rate limit applies to each citizen and not to
the benchmark as a whole), their own cookie and CSRF token, their own valid ID number and phone.
Cookie and token come from a GET of /reception/lookup before the clock starts (Flask-WTF's token
belongs to the browser session, not to one form; the session page itself is measured with the
reads). The timed phase is the POSTs only: every citizen is released at once, ``concurrency``
requests in flight; no new POST starts after the time budget, so a slow server bounds the run
instead of stretching it.
"""
from __future__ import annotations

import http.client
import os
import re
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import date, timedelta
from multiprocessing import get_context
from urllib.parse import urlencode

from stdnum.cn import ric

from bench.loadgen import percentile

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SUMMARY = "基准测试：小区物业擅自提高收费标准，多次协商无果。"
TOKEN_PAGE = "/reception/lookup"


def id_number(index: int) -> str:
    """A valid, unique resident ID number for citizen ``index``."""
    birth = date(1950, 1, 1) + timedelta(days=index // 1000)
    body = f"110105{birth:%Y%m%d}{index % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def address(index: int) -> str:
    return f"10.{(index >> 16) & 255}.{(index >> 8) & 255}.{index & 255}"


def citizens(first: int, count: int, session_ids: list[int]) -> list[dict]:
    return [{"i": i, "session": session_ids[(i - first) % len(session_ids)],
             "addr": address(i), "id_number": id_number(i), "phone": f"139{i:08d}"}
            for i in range(first, first + count)]


def _prepare_one(port: int, citizen: dict) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", TOKEN_PAGE, headers={"X-Forwarded-For": citizen["addr"]})
        response = conn.getresponse()
        body = response.read().decode()
        cookie = response.getheader("Set-Cookie", "").split(";", 1)[0]
    finally:
        conn.close()
    match = CSRF_RE.search(body)
    if response.status != 200 or not match or not cookie:
        raise RuntimeError(f"could not prepare citizen {citizen['i']}: HTTP {response.status}")
    return dict(citizen, cookie=cookie, token=match.group(1))


def _post_one(port: int, citizen: dict, category: str, deadline: float):
    """(status, start, end), or None when the time budget was spent before it could start."""
    if time.time() >= deadline:
        return None
    form = urlencode({
        "csrf_token": citizen["token"], "name": "张建华", "id_number": citizen["id_number"],
        "phone": citizen["phone"], "category": category, "summary": SUMMARY, "party_size": "1",
        "related_matter_no": "", "consent": "y"})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    start = time.time()
    try:
        conn.request("POST", f"/reception/sessions/{citizen['session']}", body=form, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": citizen["cookie"],
            "X-Forwarded-For": citizen["addr"]})
        response = conn.getresponse()
        response.read()
        status = response.status
    except (OSError, http.client.HTTPException):
        status = 0
    finally:
        conn.close()
    return status, start, time.time()


def _chunk(kind: str, port: int, items: list[dict], threads: int, start_at: float,
           budget: float, category: str) -> list:
    time.sleep(max(0.0, start_at - time.time()))
    deadline = start_at + budget
    with ThreadPoolExecutor(threads) as pool:
        if kind == "prepare":
            return list(pool.map(lambda c: _prepare_one(port, c), items))
        return list(pool.map(lambda c: _post_one(port, c, category, deadline), items))


def _parallel(kind: str, port: int, items: list[dict], concurrency: int, budget: float = 0,
              category: str = ""):
    processes = max(1, min(concurrency, 2 * (os.cpu_count() or 1), len(items)))
    threads = max(1, concurrency // processes)
    chunks = [items[i::processes] for i in range(processes)]
    start_at = time.time() + 3.0  # every process is spawned before the first request goes out
    with ProcessPoolExecutor(processes, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(_chunk, kind, port, chunk, threads, start_at, budget, category)
                   for chunk in chunks]
        return [r for f in futures for r in f.result(timeout=900)]


def run(port: int, people: list[dict], concurrency: int, category: str, budget: float) -> dict:
    """Prepare every citizen, then POST their bookings within ``budget`` seconds."""
    ready = _parallel("prepare", port, people, concurrency)
    results = [r for r in _parallel("post", port, ready, concurrency, budget, category) if r]
    statuses: dict[int, int] = {}
    for status, _s, _e in results:
        statuses[status] = statuses.get(status, 0) + 1
    first = min(s for _st, s, _e in results)
    last = max(e for _st, _s, e in results)
    latencies = sorted(e - s for _st, s, e in results)
    return {"requests": len(results), "attempts": len(people), "seconds": last - first,
            "rps": len(results) / (last - first), "booked": statuses.get(303, 0),
            "p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000,
            "statuses": statuses,
            "errors": sum(n for st, n in statuses.items() if st not in (303, 422))}
