"""The notification settings (an administrator chooses the channel on the settings page).

Secrets (the webhook's signing key, the SMTP account) come from the environment through
``portal.config``, never from the settings table."""
from __future__ import annotations

import re

from portal.settings import SettingSpec, cross_check, register

GROUP = "群众通知"
CHANNELS = (("log", "仅记录日志（不发送，用于试运行）"), ("smtp", "短信邮件网关（SMTP）"),
            ("webhook", "短信平台接口（Webhook）"))

_HOST = re.compile(r"[A-Za-z0-9.\-]+")
_DOMAIN = re.compile(r"[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+")


def _url(raw: str) -> str:
    if raw and not re.fullmatch(r"https?://[^\s]+", raw):
        raise ValueError("请填写以 https:// 或 http:// 开头的完整地址")
    return raw


def _host(raw: str) -> str:
    if raw and not _HOST.fullmatch(raw):
        raise ValueError("请填写服务器名称或 IP 地址，如 smtp.example.gov.cn")
    return raw


def _domain(raw: str) -> str:
    raw = raw.lstrip("@")
    if raw and not _DOMAIN.fullmatch(raw):
        raise ValueError("请填写域名，如 sms.example.com（发往 手机号码@该域名）")
    return raw


def _address(raw: str) -> str:
    if raw and not re.fullmatch(r"[^@\s]+@[A-Za-z0-9.\-]+", raw):
        raise ValueError("请填写电子邮件地址，如 notify@example.gov.cn")
    return raw


CHANNEL = register(SettingSpec("notify_channel", "log", "通知发送方式", GROUP, choices=CHANNELS))
MAX_ATTEMPTS = register(SettingSpec("notify_max_attempts", 5, "每条通知最多尝试发送次数", GROUP,
                                    1, 20, hint="每次失败后依次等待 1、2、4、8…分钟再试"))
WEBHOOK_URL = register(SettingSpec(
    "notify_webhook_url", "", "短信平台接口地址（Webhook）", GROUP, check=_url,
    hint="签名密钥由服务器环境变量 NOTIFY_WEBHOOK_SECRET 提供"))
SMTP_HOST = register(SettingSpec("notify_smtp_host", "", "SMTP 服务器", GROUP, check=_host,
                                 max_length=100))
SMTP_PORT = register(SettingSpec("notify_smtp_port", 25, "SMTP 端口", GROUP, 1, 65535))
SMTP_FROM = register(SettingSpec("notify_smtp_from", "", "发件地址", GROUP, check=_address,
                                 max_length=100))
SMS_DOMAIN = register(SettingSpec(
    "notify_sms_domain", "", "短信网关域名（发往 手机号码@域名）", GROUP, check=_domain,
    max_length=100, hint="账号、密码由环境变量 NOTIFY_SMTP_USER、NOTIFY_SMTP_PASSWORD 提供"))


@cross_check
def _channel_complete(values: dict) -> dict[str, str]:
    """A channel can only be chosen with what it needs to send."""
    channel = values[CHANNEL.key]
    if channel == "webhook" and not values[WEBHOOK_URL.key]:
        return {WEBHOOK_URL.key: "选择 Webhook 发送时必须填写接口地址"}
    if channel == "smtp":
        needed = {SMTP_HOST.key: "SMTP 服务器", SMTP_FROM.key: "发件地址",
                  SMS_DOMAIN.key: "短信网关域名"}
        return {key: f"选择 SMTP 发送时必须填写{label}" for key, label in needed.items()
                if not values[key]}
    return {}
