"""Servers and plumbing for ``make bench``: gunicorn processes on free 127.0.0.1 ports, plain
HTTP requests, the environment the portal runs in, a staff login through the real form."""
from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from urllib.parse import urlencode

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, ".venv", "bin")
SECRET_KEY = "bench-secret-key-not-for-production"
DATA_KEY = "bench-data-key-not-for-production"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
STAFF = ("jiedai", "demo-reception-2026")  # the demo county's reception account (portal.demo)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def tool(name: str) -> list[str]:
    path = os.path.join(BIN, name)
    return [path] if os.path.exists(path) else [sys.executable, "-m", name]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def safe(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)


def app_env(database_url: str, redis_url: str | None = None, **extra: str) -> dict:
    env = dict(os.environ)
    # Hermetic: no inherited database or Redis; Redis only when the run was given one.
    for name in ("REDIS_URL", "RATELIMIT_STORAGE_URI", "DATABASE_URL", "PUBLIC_BASE_URL",
                 "GUNICORN_BIND"):
        env.pop(name, None)
    env.update(DATABASE_URL=database_url, SECRET_KEY=SECRET_KEY, DATA_KEY=DATA_KEY,
               PYTHONDONTWRITEBYTECODE="1", **extra)
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def run_cli(args: list[str], env: dict, timeout: float = 3600) -> str:
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


class Server:
    """gunicorn with the project's config file, access log off; a context manager."""

    def __init__(self, name: str, target: str, env: dict, logdir: str, workers: int,
                 ready_path: str = "/"):
        self.name, self.port, self.ready_path = name, free_port(), ready_path
        self.log_path = os.path.join(logdir, f"{name}.log")
        env = dict(env, GUNICORN_BIND=f"127.0.0.1:{self.port}", GUNICORN_WORKERS=str(workers))
        self._log = open(self.log_path, "a")  # noqa: SIM115 (closed in stop())
        self.proc = subprocess.Popen(
            tool("gunicorn") + ["--config", "gunicorn.conf.py", "--access-logfile", "/dev/null",
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

    def wait_ready(self, timeout: float = 90) -> None:
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


def request(port: int, method: str, path: str, headers: dict | None = None,
            body: str | None = None, timeout: float = 300):
    """(status, body text, Set-Cookie headers)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        return response.status, text, response.headers.get_all("Set-Cookie") or []
    finally:
        conn.close()


def get(port: int, path: str, headers: dict | None = None, timeout: float = 300):
    status, body, _cookies = request(port, "GET", path, headers, timeout=timeout)
    return status, body


def _merge(jar: dict, set_cookies: list[str]) -> None:
    for header in set_cookies:
        name, _, value = header.split(";", 1)[0].partition("=")
        jar[name.strip()] = value.strip()


def staff_cookie(port: int) -> str:
    """Log the reception account in through the real form; the Cookie header it ends with."""
    jar: dict[str, str] = {}
    status, body, cookies = request(port, "GET", "/staff/login")
    _merge(jar, cookies)
    token = CSRF_RE.search(body)
    if status != 200 or not token:
        raise RuntimeError(f"GET /staff/login answered {status} without a CSRF token")
    form = urlencode({"csrf_token": token.group(1), "username": STAFF[0],
                      "password": STAFF[1]})
    status, body, cookies = request(port, "POST", "/staff/login", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())})
    _merge(jar, cookies)
    if status != 303:
        raise RuntimeError(f"staff login answered {status}: {body[:300]}")
    return "; ".join(f"{k}={v}" for k, v in jar.items())
