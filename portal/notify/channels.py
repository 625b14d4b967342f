"""Where a message goes: the log (trial runs), an email-to-SMS gateway (SMTP), or an SMS
platform's webhook. Each channel delivers one message or raises ``DeliveryError`` with a short
reason that never contains the phone number or the text."""
from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import urlsplit

from flask import current_app

from portal import privacy
from portal.notify import rules
from portal.notify.models import KINDS

TIMEOUT = 10  # seconds, for SMTP and the webhook


class DeliveryError(Exception):
    """A failed attempt (retried later); ``str()`` is short and holds no personal data."""


@dataclass(frozen=True)
class Outgoing:
    id: int
    kind: str
    phone: str
    text: str


def deliver_log(message: Outgoing, _settings: dict) -> None:
    # The app's logger (Flask creates it on first use, so Alembic's logging setup in the same
    # process cannot have disabled it).
    current_app.logger.info("notify: %s message %s to %s (%d characters)", message.kind, message.id,
             privacy.mask_phone(message.phone), len(message.text))


def deliver_smtp(message: Outgoing, settings: dict) -> None:
    email = EmailMessage()
    email["From"] = settings[rules.SMTP_FROM.key]
    email["To"] = f"{message.phone}@{settings[rules.SMS_DOMAIN.key]}"
    email["Subject"] = KINDS[message.kind]
    email.set_content(message.text)
    config = current_app.config
    try:
        with smtplib.SMTP(settings[rules.SMTP_HOST.key], settings[rules.SMTP_PORT.key],
                          timeout=TIMEOUT) as smtp:
            if config.get("NOTIFY_SMTP_USER"):
                smtp.ehlo()
                if smtp.has_extn("starttls"):
                    smtp.starttls()
                    smtp.ehlo()
                smtp.login(config["NOTIFY_SMTP_USER"], config.get("NOTIFY_SMTP_PASSWORD", ""))
            smtp.send_message(email)
    except smtplib.SMTPResponseException as error:  # its message may quote the address
        raise DeliveryError(f"SMTP {error.smtp_code}") from None
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryError(f"SMTP {type(error).__name__}") from None


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver_webhook(message: Outgoing, settings: dict) -> None:
    body = json.dumps({"id": message.id, "phone": message.phone, "text": message.text,
                       "kind": message.kind}, ensure_ascii=False).encode()
    secret = current_app.config.get("NOTIFY_WEBHOOK_SECRET") or ""
    if not secret:
        raise DeliveryError("webhook 未配置签名密钥（NOTIFY_WEBHOOK_SECRET）")
    url = settings[rules.WEBHOOK_URL.key]
    # The setting is validated when saved; checked again here so no file: or custom scheme
    # can ever be opened, whatever reached the settings table.
    if urlsplit(url).scheme not in ("http", "https"):
        raise DeliveryError("webhook 地址必须以 http:// 或 https:// 开头")
    request = urllib.request.Request(
        url, data=body, method="POST",
        headers={"Content-Type": "application/json; charset=utf-8",
                 "X-Portal-Signature": signature(secret, body),
                 "X-Portal-Timestamp": str(int(time.time()))})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # nosec B310
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DeliveryError(f"webhook {type(reason).__name__}") from None
    if not 200 <= status < 300:
        raise DeliveryError(f"webhook HTTP {status}")


CHANNELS: dict[str, Callable[[Outgoing, dict], None]] = {
    "log": deliver_log, "smtp": deliver_smtp, "webhook": deliver_webhook}
