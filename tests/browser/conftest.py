"""Browser tests: a real gunicorn server on a migrated, demo-seeded SQLite file, driven by the
system's Chromium through Playwright's sync API.

Time is real here (the server is another process, so the suite's frozen clock does not reach
it): the tests pick a session that is open for booking now from the public schedule; the demo
seed guarantees several.

No browser is ever downloaded: Debian's /usr/bin/chromium is used. Without it (or without
Playwright) the tests are skipped with a reason — except under CI, which must never skip:
there the same condition fails the run.
"""
from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import unavailable

ROOT = Path(__file__).resolve().parents[2]
# Debian's Chromium; BROWSER_TESTS_CHROMIUM points elsewhere (e.g. to check the skip rule).
CHROMIUM = os.environ.get("BROWSER_TESTS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
HTMX = ROOT / "static" / "vendor" / "htmx.min.js"
# WeChat 8.0 on Android (its in-app browser, XWEB on Chromium), as citizens open the portal.
WECHAT_UA = ("Mozilla/5.0 (Linux; Android 13; V2203A Build/TP1A.220624.014; wv) "
             "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile "
             "Safari/537.36 XWEB/1160083 MMWEBSDK/20231202 MMWEBID/4329 MicroMessenger/8.0.47.2560"
             "(0x28002F35) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64")


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives a real browser against a live server")


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session", autouse=True)
def _chromium_required():
    if not os.path.exists(CHROMIUM):
        unavailable(f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        unavailable("the playwright Python package is not installed")


@pytest.fixture
def require_htmx():
    if not HTMX.exists():
        unavailable(f"{HTMX.relative_to(ROOT)} is missing (make assets): htmx is not served")


# --- the live server ---------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tool(name: str) -> list[str]:
    path = Path(sys.executable).parent / name
    return [str(path)] if path.exists() else [sys.executable, "-m", name]


def _ready(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/reception/lookup")
        response = conn.getresponse()
        response.read()
        return response.status == 200
    except OSError:
        return False
    finally:
        conn.close()


@pytest.fixture(scope="session")
def server_env(tmp_path_factory) -> dict:
    """The live server's environment (its database file, keys and address)."""
    workdir = tmp_path_factory.mktemp("browser")
    env = {k: v for k, v in os.environ.items()
           if k not in ("REDIS_URL", "PUBLIC_BASE_URL", "PROXY_COUNT")}
    env.update(DATABASE_URL=f"sqlite:///{workdir / 'portal.sqlite3'}",
               SECRET_KEY="browser-test-secret", DATA_KEY="browser-test-data-key",
               GUNICORN_BIND=f"127.0.0.1:{_free_port()}", GUNICORN_WORKERS="2",
               PYTHONDONTWRITEBYTECODE="1")
    return env


@pytest.fixture(scope="session")
def live_server(server_env, _chromium_required):
    """Base URL of gunicorn serving the portal from a fresh, migrated, demo-seeded database."""
    env = server_env
    workdir = Path(env["DATABASE_URL"].removeprefix("sqlite:///")).parent
    port = int(env["GUNICORN_BIND"].rsplit(":", 1)[1])
    flask = _tool("flask") + ["--app", "wsgi"]
    for args in (["db", "upgrade"], ["demo", "seed"]):
        done = subprocess.run(flask + args, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}"
    log_path = workdir / "gunicorn.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            _tool("gunicorn") + ["--config", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not _ready(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the server's own process group only
            proc.wait(timeout=10)
    log_text = log_path.read_text()
    assert "unhandled error on" not in log_text, f"the server logged an error:\n{log_text[-4000:]}"


# --- the browser -------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser(_chromium_required):
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


@pytest.fixture
def new_page(browser, live_server):
    """new_page(mobile=True, javascript=True) -> a page in a fresh context (own cookies)."""
    contexts = []

    def make(mobile: bool = True, javascript: bool = True):
        viewport = {"width": 360, "height": 740} if mobile else {"width": 1280, "height": 900}
        context = browser.new_context(base_url=live_server, viewport=viewport,
                                      java_script_enabled=javascript, locale="zh-CN",
                                      timezone_id="Asia/Shanghai", device_scale_factor=1,
                                      is_mobile=mobile, has_touch=mobile)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def seed(server_env, live_server):
    """seed("hearing" | "full_session" | "desk_visitor") -> dict: data made by the portal's
    services in a subprocess on the live server's database (tests/browser/seeding.py)."""
    def make(what: str) -> dict:
        done = subprocess.run([sys.executable, "-m", "tests.browser.seeding", what], cwd=ROOT,
                              env=server_env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"seeding {what} failed:\n{done.stdout}{done.stderr}"
        return json.loads(done.stdout.strip().splitlines()[-1])
    return make


def staff_login(page, username: str, password: str) -> None:
    """Log in at /staff/login and wait until the login page is left."""
    page.goto("/staff/login")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():  # 登录 by name: the header has a submit button of its own
        page.get_by_role("button", name="登录", exact=True).click()
    assert "/staff/login" not in page.url, f"{username} could not log in"


def wechat_context(browser, live_server, **options):
    """A phone context with WeChat's Android user agent (360 x 740 unless told otherwise)."""
    options = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True,
               "user_agent": WECHAT_UA, **options}
    context = browser.new_context(base_url=live_server, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", device_scale_factor=1, **options)
    context.set_default_timeout(10_000)
    return context


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


# --- accessibility: axe-core (issue 12) --------------------------------------------------------
# axe-core is a test asset: installed from the npm registry (package.json devDependencies) and
# put into the page by the test, never served by the portal.
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
AXE_RUN = """([tags, rules]) => axe.run(document, {
    runOnly: {type: "tag", values: tags}, rules: rules, resultTypes: ["violations"]
}).then(result => result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 4).map(n => n.target.join(" ") + " :: " +
                                   (n.failureSummary || "").replace(/\\s+/g, " ").slice(0, 240)),
})))"""


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        unavailable(f"{AXE.relative_to(ROOT)} is missing (npm install): axe-core cannot run")
    return AXE.read_text()


@pytest.fixture
def axe(axe_source):
    """axe(page, tags=AXE_TAGS, rules=None) -> the violations on the page as it is now.

    axe is put into the page with ``page.evaluate`` (the DevTools protocol, which the page's
    CSP does not govern), so the page is checked under its real, strict CSP: a context with
    ``bypass_csp=True`` would change what is checked, and a <script> tag would be refused.
    """
    def run(page, tags=AXE_TAGS, rules=None) -> list[dict]:
        if not page.evaluate("typeof window.axe === 'object'"):
            page.evaluate(axe_source)
        return page.evaluate(AXE_RUN, [list(tags), rules or {}])

    return run
