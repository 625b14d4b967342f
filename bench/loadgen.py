"""Load generators: wrk when installed, else a small http.client generator on several processes.

Both return the same dict: requests, seconds, rps, p50_ms, p90_ms, p99_ms, errors (answers
>= 400, timeouts or socket errors) and non_2xx (answers >= 400 alone). Only 127.0.0.1 is ever
targeted, and every run is bounded in time.
"""
from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import shutil
import subprocess
import tempfile
import threading
import time
from urllib.parse import urlsplit

# wrk reports through this script: one JSON line, latencies in microseconds.
WRK_REPORT = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d, "p50": %d, "p90": %d, "p99": %d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99)))
end
"""


def _check_local(url: str) -> None:
    if urlsplit(url).hostname != "127.0.0.1":
        raise ValueError(f"benchmarks only target 127.0.0.1, not {url}")


def have_wrk() -> bool:
    return os.environ.get("BENCH_LOADGEN", "wrk") == "wrk" and shutil.which("wrk") is not None


def measure(url: str, seconds: float, connections: int, headers: dict | None = None,
            timeout: float = 10) -> dict:
    _check_local(url)
    if have_wrk():
        return _wrk(url, seconds, connections, headers or {}, timeout)
    return _python(url, seconds, connections, headers or {}, timeout)


def _wrk(url: str, seconds: float, connections: int, headers: dict, timeout: float) -> dict:
    threads = max(1, min(connections, os.cpu_count() or 1))
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_REPORT)
    try:
        cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
               "--timeout", f"{max(1, round(timeout))}s", "-s", script.name]
        for name, value in headers.items():
            cmd += ["-H", f"{name}: {value}"]
        out = subprocess.run(cmd + [url], capture_output=True, text=True,
                             timeout=seconds + 60, check=True).stdout
    finally:
        os.unlink(script.name)
    line = next(x for x in out.splitlines() if x.startswith("BENCHJSON "))
    data = json.loads(line.removeprefix("BENCHJSON "))
    secs = data["duration_us"] / 1e6
    errors = sum(data[k] for k in ("connect", "read", "write", "status", "timeout"))
    done = data["requests"]
    nan = float("nan")  # wrk reports 0 for the percentiles of nothing
    return {"requests": done, "seconds": secs, "rps": done / secs,
            "p50_ms": data["p50"] / 1000 if done else nan,
            "p90_ms": data["p90"] / 1000 if done else nan,
            "p99_ms": data["p99"] / 1000 if done else nan, "errors": errors,
            "non_2xx": data["status"], "tool": "wrk"}


# --- the Python fallback ------------------------------------------------------------------------

def _worker(url: str, start_at: float, end_at: float, threads: int, headers: dict,
            timeout: float, out) -> None:
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    latencies: list[float] = []
    errors = [0, 0]  # all errors, of which answers >= 400
    lock = threading.Lock()

    def loop():
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        mine, bad, refused = [], 0, 0
        time.sleep(max(0.0, start_at - time.time()))
        try:
            while time.time() < end_at:
                start = time.perf_counter()
                try:
                    conn.request("GET", path, headers=headers)
                    response = conn.getresponse()
                    response.read()
                    if response.status >= 400:
                        bad += 1
                        refused += 1
                except (OSError, http.client.HTTPException):
                    bad += 1
                    conn.close()
                    continue
                mine.append(time.perf_counter() - start)
        finally:
            conn.close()
        with lock:
            latencies.extend(mine)
            errors[0] += bad
            errors[1] += refused

    workers = [threading.Thread(target=loop) for _ in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    out.put((latencies, errors))


def _python(url: str, seconds: float, connections: int, headers: dict, timeout: float) -> dict:
    processes = max(1, min(connections, 2 * (os.cpu_count() or 1)))
    per = [connections // processes + (1 if i < connections % processes else 0)
           for i in range(processes)]
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    # Every process starts at the same wall-clock moment, once spawned, and stops together.
    start_at = time.time() + 2.0
    end_at = start_at + seconds
    procs = [ctx.Process(target=_worker, args=(url, start_at, end_at, n, headers, timeout, queue))
             for n in per]
    for p in procs:
        p.start()
    results = [queue.get(timeout=seconds + timeout + 60) for _ in procs]
    for p in procs:
        p.join(timeout=10)
    queue.close()
    queue.join_thread()
    elapsed = seconds
    latencies = sorted(x for lat, _ in results for x in lat)
    return {"requests": len(latencies), "seconds": elapsed, "rps": len(latencies) / elapsed,
            "p50_ms": percentile(latencies, 50) * 1000, "p90_ms": percentile(latencies, 90) * 1000,
            "p99_ms": percentile(latencies, 99) * 1000,
            "errors": sum(e[0] for _, e in results), "non_2xx": sum(e[1] for _, e in results),
            "tool": "python"}


def percentile(sorted_values: list[float], pct: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(pct / 100 * len(sorted_values)) - 1))
    return sorted_values[index]
