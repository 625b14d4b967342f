"""Issue 12: the switch of the elder-friendly mode (长辈版). A POST with its CSRF token that only
sets a preference cookie and sends the browser back to a path of this site; every page then
carries the mode's class on <html>. The browser side (sizes, contrast) is in
tests/browser/test_elder_mode.py."""
from __future__ import annotations

import re

import pytest

from portal import create_app
from portal.extensions import db
from tests.conftest import base_config

HTML_CARE = '<html lang="zh-CN" class="care">'


def cookie_attributes(response, name: str) -> list[str] | None:
    for header in response.headers.getlist("Set-Cookie"):
        first, *attributes = [part.strip() for part in header.split(";")]
        if first.split("=", 1)[0] == name:
            return [first, *(a.lower() for a in attributes)]
    return None


def test_every_page_offers_the_switch_back_to_itself(client):
    page = client.get("/reception/lookup?code=ABC")
    assert HTML_CARE not in page.text and '<html lang="zh-CN">' in page.text
    form = re.search(r'<form method="post" action="/care-mode" class="care-switch">(.*?)</form>',
                     page.text, re.S)
    assert form, "no 长辈版 switch in the header"
    assert 'name="csrf_token"' in form.group(1)
    assert 'name="next" value="/reception/lookup?code=ABC"' in form.group(1)
    assert 'name="on" value="1">长辈版（大字）' in form.group(1)
    assert 'action="/care-mode"' in client.get("/no-such-page").text  # error pages too


def test_switching_on_and_off(client):
    on = client.post("/care-mode", data={"on": "1", "next": "/reception/"})
    assert on.status_code == 303 and on.headers["Location"] == "/reception/"
    first, *attributes = cookie_attributes(on, "care_mode")
    assert first == "care_mode=1"
    assert "samesite=lax" in attributes and "path=/" in attributes
    assert "secure" not in attributes  # plain HTTP here
    assert any(a.startswith("max-age=") and int(a.split("=")[1]) > 86400 * 300 for a in attributes)

    page = client.get("/reception/")
    assert HTML_CARE in page.text
    assert 'name="on" value="0">退出长辈版' in page.text
    assert "三步预约" in page.text  # the short guide on the booking pages
    assert "三步预约" not in client.get("/evaluation/notices/").text

    off = client.post("/care-mode", data={"on": "0", "next": "/"})
    assert off.status_code == 303 and off.headers["Location"] == "/"
    first, *attributes = cookie_attributes(off, "care_mode")
    assert first == "care_mode=" and "max-age=0" in attributes
    assert HTML_CARE not in client.get("/").text


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example",
                                    "/\t/evil.example", "javascript:alert(1)", ""])
def test_the_way_back_is_a_local_path_only(client, target):
    response = client.post("/care-mode", data={"on": "1", "next": target})
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_a_get_changes_nothing(client):
    response = client.get("/care-mode")
    assert response.status_code == 405
    assert cookie_attributes(response, "care_mode") is None


def test_over_https_the_cookie_is_secure_and_host_prefixed(tmp_path, database_url, monkeypatch):
    for name in ("HTTPS", "PUBLIC_BASE_URL", "SESSION_COOKIE_SECURE"):
        monkeypatch.delenv(name, raising=False)
    app = create_app({**base_config(tmp_path, database_url), "HTTPS": True})
    with app.app_context():
        try:
            _check_https_cookie(app.test_client())
        finally:  # the requests share this app context: its session holds a connection
            db.session.remove()
            db.engine.dispose()


def _check_https_cookie(client) -> None:
    on = client.post("/care-mode", data={"on": "1", "next": "/"})
    first, *attributes = cookie_attributes(on, "__Host-care_mode")
    assert "secure" in attributes and "samesite=lax" in attributes and "path=/" in attributes
    assert not [a for a in attributes if a.startswith("domain=")]
    assert HTML_CARE in client.get("/", base_url="https://portal.test").text
    # The plain-HTTP name is not honoured over HTTPS (a sibling could have set it).
    client.delete_cookie("__Host-care_mode", domain="portal.test")
    client.set_cookie("care_mode", "1", domain="portal.test")
    assert HTML_CARE not in client.get("/", base_url="https://portal.test").text
