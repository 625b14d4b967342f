"""The bureau's contact details: name, address, telephone, reception hours.

Settings an administrator edits at /staff/settings (group 信访局联系方式). Every template has
them as the Jinja global ``bureau`` (``bureau.name``, ``.address``, ``.phone``, ``.hours``,
``.tel_href``, ``.complete``); Python code calls :func:`current`. They are read with the other
settings, once per request (``settings.current_values``), and only when a page uses them.

Messages that send a citizen to the bureau (a refusal, the no-show suspension, the cut-off)
build their wording here, so the number they give is the one an administrator set.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from flask import current_app, has_app_context
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.local import LocalProxy

from portal import settings
from portal.settings import SettingSpec, register

GROUP = "信访局联系方式（显示在每页页脚、回执和提示中）"

# A telephone entry: digits with the usual separators; several numbers are listed with "、".
_PHONE_CHARACTERS = re.compile(r"[0-9 ()\-+、,/转]+")
_FIRST_NUMBER = re.compile(r"\+?[0-9][0-9 ()\-]*[0-9]")


def _clean(text: str) -> str:
    """One space between words (Chinese punctuation is kept as typed)."""
    return " ".join(text.split())


def _name(raw: str) -> str:
    name = _clean(raw)
    if not name:
        raise ValueError("请填写信访局名称，如 某某县信访局")
    return name


def _phone(raw: str) -> str:
    # NFKC: full-width digits, brackets and commas become ASCII.
    phone = _clean(unicodedata.normalize("NFKC", raw)).replace(",", "、")
    if not phone:
        return ""  # not published yet: staff pages warn until it is
    if not _PHONE_CHARACTERS.fullmatch(phone) or sum(c.isdigit() for c in phone) < 5:
        raise ValueError("请填写电话号码，如 0579-12345678；多个号码用“、”分隔")
    return phone


NAME = register(SettingSpec(
    "bureau_name", "县信访局", "信访局名称", GROUP, check=_name, max_length=40,
    hint="如 某某县信访局"))
ADDRESS = register(SettingSpec(
    "bureau_address", "", "来访接待地址", GROUP, check=_clean, max_length=100,
    hint="如 某某县城关镇人民路 1 号 县人民来访接待中心"))
PHONE = register(SettingSpec(
    "bureau_phone", "", "咨询电话", GROUP, check=_phone, max_length=60,
    hint="如 0579-12345678；多个号码用“、”分隔，第一个号码在手机上可直接拨打"))
HOURS = register(SettingSpec(
    "bureau_hours", "工作日 8:30–12:00，14:30–17:30", "接待时间", GROUP, check=_clean,
    max_length=100))


@dataclass(frozen=True)
class Bureau:
    name: str
    address: str
    phone: str
    hours: str

    @property
    def complete(self) -> bool:
        """Address and telephone are both published (staff pages warn until they are)."""
        return bool(self.address and self.phone)

    @property
    def tel_href(self) -> str:
        """``tel:`` address of the first number (empty when no number is set)."""
        found = _FIRST_NUMBER.search(self.phone)
        if not found:
            return ""
        return "tel:" + re.sub(r"[^0-9+]", "", found.group())

    def call(self) -> str:
        """'致电某某县信访局（0579-12345678）': how to reach the bureau at a distance."""
        if self.phone:
            return f"致电{self.name}（{self.phone}）"
        if self.address:
            return f"到{self.name}（{self.address}）"
        return f"致电{self.name}"

    def visit(self) -> str:
        """'到某某县信访局（地址：…；接待时间：…）': where and when to come in person."""
        details = "；".join(part for part in (
            self.address and f"地址：{self.address}", self.hours and f"接待时间：{self.hours}")
            if part)
        return f"到{self.name}（{details}）" if details else f"到{self.name}"

    def reach(self) -> str:
        """Both ways, for refusals: '致电…，或到…'."""
        if self.phone:
            return f"{self.call()}，或{self.visit()}"
        return self.visit()


DEFAULT = Bureau(NAME.default, ADDRESS.default, PHONE.default, HOURS.default)


def current() -> Bureau:
    """The bureau's details in force (defaults when the database cannot be read: the footer
    of an error page must not fail again)."""
    try:
        values = settings.current_values()
    except SQLAlchemyError:
        if has_app_context():
            current_app.logger.warning("bureau contact settings unreadable; defaults shown")
        return DEFAULT
    return Bureau(values[NAME.key], values[ADDRESS.key], values[PHONE.key], values[HOURS.key])


# The Jinja global: resolved when a template reads it, so a fragment without the footer
# reads nothing.
template_global = LocalProxy(current)
