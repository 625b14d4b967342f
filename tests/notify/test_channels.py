"""The real channels against local servers: SMTP (aiosmtpd) and a signed webhook."""
from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from portal import calendar, settings
from portal.extensions import db
from portal.notify import channels, sender
from tests import factories
from tests.notify.helpers import outbox

SECRET = "webhook-test-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def choose(**values) -> None:
    assert settings.save({key: str(v) for key, v in values.items()}) == {}
    db.session.commit()


# --- SMTP ---------------------------------------------------------------------------------------

@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    class Collect(Sink):
        def __init__(self):
            self.envelopes = []

        async def handle_DATA(self, server, session, envelope):
            self.envelopes.append(envelope)
            return "250 OK"

    handler = Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    controller.stop()


def test_smtp_sends_to_the_gateway_address(app, smtp_server):
    controller, handler = smtp_server
    choose(notify_channel="smtp", notify_smtp_host="127.0.0.1", notify_smtp_port=controller.port,
           notify_smtp_from="notify@xfj.example.gov.cn", notify_sms_domain="sms.example.com")
    booking = factories.book(factories.session(), phone="13912345678")
    result = sender.send_due(calendar.now())
    assert result.sent == 1, outbox()[0].last_error
    [envelope] = handler.envelopes
    assert envelope.rcpt_tos == ["13912345678@sms.example.com"]
    assert envelope.mail_from == "notify@xfj.example.gov.cn"
    from email import message_from_bytes, policy

    mail = message_from_bytes(envelope.original_content, policy=policy.default)
    assert booking.code in mail.get_content() and mail["Subject"] == "预约已收到"
    assert outbox()[0].channel == "smtp"


def test_smtp_down_is_a_failed_attempt_without_the_number(app):
    choose(notify_channel="smtp", notify_smtp_host="127.0.0.1", notify_smtp_port=free_port(),
           notify_smtp_from="notify@xfj.example.gov.cn", notify_sms_domain="sms.example.com")
    factories.book(factories.session(), phone="13912345678")
    assert sender.send_due(calendar.now()).retried == 1
    [message] = outbox()
    assert message.status == "pending" and message.last_error.startswith("SMTP ")
    assert "13912345678" not in message.last_error


def test_smtp_needs_its_settings(app):
    errors = settings.save({"notify_channel": "smtp"})
    assert set(errors) == {"notify_smtp_host", "notify_smtp_from", "notify_sms_domain"}
    assert settings.save({"notify_channel": "webhook"}) == {
        "notify_webhook_url": "选择 Webhook 发送时必须填写接口地址"}
    assert "notify_webhook_url" in settings.save({"notify_webhook_url": "ftp://x"})


# --- webhook ------------------------------------------------------------------------------------

@pytest.fixture
def webhook(monkeypatch):
    """A local endpoint that checks the signature; ``answer`` is the status it replies."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    received, state = [], {"answer": 200, "delay": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            valid = hmac.compare_digest(self.headers.get("X-Portal-Signature", ""), expected)
            fresh = abs(time.time() - int(self.headers.get("X-Portal-Timestamp", "0"))) < 300
            received.append((json.loads(body), valid and fresh))
            time.sleep(state["delay"])
            self.send_response(state["answer"] if valid else 401)
            self.end_headers()

        def log_message(self, *args):  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/sms", received, state
    server.shutdown()
    server.server_close()


def test_webhook_posts_signed_json(app, webhook):
    url, received, _ = webhook
    app.config["NOTIFY_WEBHOOK_SECRET"] = SECRET
    choose(notify_channel="webhook", notify_webhook_url=url)
    booking = factories.book(factories.session(), phone="13912345678")
    assert sender.send_due(calendar.now()).sent == 1
    [(payload, valid)] = received
    assert valid
    message = outbox()[0]
    assert payload == {"id": message.id, "phone": "13912345678", "text": message.body,
                       "kind": "booking_received"}
    assert booking.code in payload["text"]


def test_webhook_refusals_and_timeouts_are_retried(app, webhook, monkeypatch):
    url, received, state = webhook
    app.config["NOTIFY_WEBHOOK_SECRET"] = SECRET
    choose(notify_channel="webhook", notify_webhook_url=url)
    factories.book(factories.session())
    state["answer"] = 503
    assert sender.send_due(calendar.now()).retried == 1
    assert outbox()[0].last_error == "webhook HTTP 503"
    monkeypatch.setattr(channels, "TIMEOUT", 0.2)
    state["answer"], state["delay"] = 200, 1
    assert sender.send_due(outbox()[0].next_attempt_at).retried == 1
    assert outbox()[0].last_error.startswith("webhook ") and outbox()[0].attempts == 2
    state["delay"] = 0
    assert sender.send_due(outbox()[0].next_attempt_at).sent == 1


def test_a_wrong_secret_is_refused_by_the_receiver(app, webhook):
    url, received, _ = webhook
    app.config["NOTIFY_WEBHOOK_SECRET"] = "not-the-secret"
    choose(notify_channel="webhook", notify_webhook_url=url)
    factories.book(factories.session())
    assert sender.send_due(calendar.now()).retried == 1
    assert received[0][1] is False and outbox()[0].last_error == "webhook HTTP 401"


def test_the_signature_is_hmac_sha256_of_the_body():
    body = b'{"id": 1}'
    assert channels.signature("k", body) == "sha256=" + hmac.new(
        b"k", body, hashlib.sha256).hexdigest()


def test_an_administrator_chooses_the_channel_on_the_settings_page(client, auth, app):
    auth.login("admin")
    page = client.get("/staff/settings")
    assert "群众通知" in page.text and "通知发送方式" in page.text
    refused = client.post("/staff/settings", data={"notify_channel": "webhook"})
    assert refused.status_code == 422 and "必须填写接口地址" in refused.text
    done = client.post("/staff/settings", data={
        "notify_channel": "webhook", "notify_webhook_url": "https://sms.example.com/send"})
    assert done.status_code == 303
    assert settings.current_values()["notify_channel"] == "webhook"
