"""The booking write benchmark, through the real form over HTTP.

Each simulated citizen has their own address (sent as X-Forwarded-For; the portal runs with
PROXY_COUNT=1, as behind nginx, so the per-address rate limit applies to each citizen and not to
the benchmark as a whole), their own cookie and CSRF token, their own valid ID number and phone.
Cookie and token come from a GET of the session page, the real booking form, before the clock
starts. The timed phase is the POSTs only: every citizen is released at once, ``concurrency``
requests in flight; no new POST starts after the time budget, so a slow server bounds the run
instead of stretching it.

The baseline's bare booking endpoint (``bench.baseline``) gets the same citizens and fields
without the GET (it has no session and no CSRF token): ``target="baseline"``.

Every answer is classified: 303 booked; a refusal is a 4xx whose page says why (the portal's
"名额已满"); anything else (5xx, a 4xx without a reason, a socket
error) is an error.
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
REFUSAL_MARKERS = ("名额已满",)  # the portal's FULL and the baseline's own


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


def _prepare_one(port: int, citizen: dict, target: str) -> dict:
    if target == "baseline":
        return dict(citizen, cookie="", token="")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", f"/reception/sessions/{citizen['session']}",
                     headers={"X-Forwarded-For": citizen["addr"]})
        response = conn.getresponse()
        body = response.read().decode()
        cookie = response.getheader("Set-Cookie", "").split(";", 1)[0]
    finally:
        conn.close()
    match = CSRF_RE.search(body)
    if response.status != 200 or not match or not cookie:
        raise RuntimeError(f"could not prepare citizen {citizen['i']}: HTTP {response.status}")
    return dict(citizen, cookie=cookie, token=match.group(1))


def _post_one(port: int, citizen: dict, category: str, deadline: float, target: str):
    """(status, start, end, refusal explained), or None when the time budget was spent before
    it could start."""
    if time.time() >= deadline:
        return None
    form = urlencode({
        "csrf_token": citizen["token"], "name": "张建华", "id_number": citizen["id_number"],
        "phone": citizen["phone"], "category": category, "summary": SUMMARY, "party_size": "1",
        "related_matter_no": "", "consent": "y"})
    path = (f"/book/{citizen['session']}" if target == "baseline"
            else f"/reception/sessions/{citizen['session']}")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    start = time.time()
    explained = False
    try:
        conn.request("POST", path, body=form, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": citizen["cookie"],
            "X-Forwarded-For": citizen["addr"]})
        response = conn.getresponse()
        body = response.read().decode("utf-8", "replace")
        status = response.status
        explained = 400 <= status < 500 and any(m in body for m in REFUSAL_MARKERS)
    except (OSError, http.client.HTTPException):
        status = 0
    finally:
        conn.close()
    return status, start, time.time(), explained


def _chunk(kind: str, port: int, items: list[dict], threads: int, start_at: float,
           budget: float, category: str, target: str) -> list:
    time.sleep(max(0.0, start_at - time.time()))
    deadline = start_at + budget
    with ThreadPoolExecutor(threads) as pool:
        if kind == "prepare":
            return list(pool.map(lambda c: _prepare_one(port, c, target), items))
        return list(pool.map(lambda c: _post_one(port, c, category, deadline, target), items))


def _parallel(kind: str, port: int, items: list[dict], concurrency: int, budget: float = 0,
              category: str = "", target: str = "portal"):
    processes = max(1, min(concurrency, 2 * (os.cpu_count() or 1), len(items)))
    threads = max(1, concurrency // processes)
    chunks = [items[i::processes] for i in range(processes)]
    start_at = time.time() + 3.0  # every process is spawned before the first request goes out
    with ProcessPoolExecutor(processes, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(_chunk, kind, port, chunk, threads, start_at, budget, category,
                               target) for chunk in chunks]
        return [r for f in futures for r in f.result(timeout=900)]


def run(port: int, people: list[dict], concurrency: int, category: str, budget: float,
        target: str = "portal") -> dict:
    """Prepare every citizen, then POST their bookings within ``budget`` seconds."""
    ready = _parallel("prepare", port, people, concurrency, target=target)
    results = [r for r in _parallel("post", port, ready, concurrency, budget, category, target)
               if r]
    statuses: dict[int, int] = {}
    for status, *_rest in results:
        statuses[status] = statuses.get(status, 0) + 1
    first = min(r[1] for r in results)
    last = max(r[2] for r in results)
    latencies = sorted(r[2] - r[1] for r in results)
    refused = sum(1 for r in results if r[3])
    booked = statuses.get(303, 0)
    return {"requests": len(results), "attempts": len(people), "seconds": last - first,
            "rps": len(results) / (last - first), "booked": booked, "refused": refused,
            "p50_ms": percentile(latencies, 50) * 1000, "p90_ms": percentile(latencies, 90) * 1000,
            "p99_ms": percentile(latencies, 99) * 1000, "statuses": statuses,
            "non_2xx": len(results) - booked,
            "server_errors": sum(n for st, n in statuses.items() if st >= 500 or st == 0),
            "errors": len(results) - booked - refused}
