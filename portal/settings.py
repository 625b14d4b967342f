"""Rule numbers an administrator can change (DESIGN.md §2), with defaults in code.

Domains register their settings at import time; the value in force is the stored one, else
the default. Values are whole numbers or short strings, validated on save.

Each process keeps the values in force (``portal.reference``): a request checks the reference
version once and reads the settings again only when an administrator changed them (on any
server). The footer of every page (``portal.bureau``), the booking window of each listed
session and the rule texts all share that copy.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from portal import reference
from portal.extensions import db


class Setting(db.Model):
    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


reference.watch(Setting)


@dataclass(frozen=True)
class SettingSpec:
    key: str
    default: object
    label: str
    group: str
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[tuple[str, str], ...] = ()
    # Text settings: a check that cleans the value or raises ValueError (Chinese); a hint and a
    # length limit for the form.
    check: Callable[[str], str] | None = None
    hint: str = ""
    max_length: int = 200

    def parse(self, raw: str) -> object:
        """Turn a submitted value into the setting's type, or raise ValueError (Chinese)."""
        raw = (raw or "").strip()
        if self.choices:
            if raw not in {c for c, _ in self.choices}:
                raise ValueError("请选择列出的选项")
            return raw
        if isinstance(self.default, bool):
            return raw in {"1", "true", "on", "yes"}
        if isinstance(self.default, int):
            try:
                number = int(raw)
            except ValueError:
                raise ValueError("请填写整数") from None
            if self.minimum is not None and number < self.minimum:
                raise ValueError(f"不能小于 {self.minimum}")
            if self.maximum is not None and number > self.maximum:
                raise ValueError(f"不能大于 {self.maximum}")
            return number
        if isinstance(self.default, str) and self.key.endswith("_time"):
            parts = raw.split(":")
            if len(parts) != 2 or not all(p.isdigit() for p in parts):
                raise ValueError("时间格式应为 时:分，如 17:00")
            hour, minute = int(parts[0]), int(parts[1])
            if not (0 <= hour < 24 and 0 <= minute < 60):
                raise ValueError("时间格式应为 时:分，如 17:00")
            return f"{hour:02d}:{minute:02d}"
        if len(raw) > self.max_length:
            raise ValueError(f"最多 {self.max_length} 个字")
        return self.check(raw) if self.check else raw

    def load(self, stored: str) -> object:
        try:
            return self.parse(stored)
        except ValueError:
            return self.default


REGISTRY: dict[str, SettingSpec] = {}

# Rules across fields (issue 15): each gets every value as it would be after the save and
# returns field -> reason (Chinese) for a combination that is impossible or incoherent.
CrossCheck = Callable[[dict[str, object]], dict[str, str]]
CROSS_CHECKS: list[CrossCheck] = []


def register(spec: SettingSpec) -> SettingSpec:
    REGISTRY[spec.key] = spec
    return spec


def cross_check(check: CrossCheck) -> CrossCheck:
    """Register a rule across settings (a decorator; the domains declare theirs)."""
    if check not in CROSS_CHECKS:
        CROSS_CHECKS.append(check)
    return check


def cross_field_errors(values: dict[str, object]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for check in CROSS_CHECKS:
        for key, reason in check(values).items():
            errors.setdefault(key, reason)
    return errors


def get(key: str):
    return current_values()[key]


def current_values() -> dict[str, object]:
    """Every setting in force (kept per process while the reference version stays)."""
    return dict(reference.cached("settings", _load))


def forget_request_copy() -> None:
    """Read the reference version again at the next use (a long request, a test)."""
    reference.forget_request_version()


def _load() -> dict[str, object]:
    stored = {s.key: s.value for s in db.session.scalars(select(Setting))}
    return {key: (spec.default if key not in stored else spec.load(stored[key]))
            for key, spec in REGISTRY.items()}


def as_text(value) -> str:
    return ("1" if value else "0") if isinstance(value, bool) else str(value)


def save(values: dict[str, str]) -> dict[str, str]:
    """Validate and store submitted values; return field -> error (nothing saved on error).

    Each value is checked on its own, then all of them together (``cross_check``) with the
    stored values of the fields not submitted."""
    errors: dict[str, str] = {}
    parsed: dict[str, object] = {}
    for key, raw in values.items():
        spec = REGISTRY.get(key)
        if spec is None:
            continue
        try:
            parsed[key] = spec.parse(raw)
        except ValueError as exc:
            errors[key] = str(exc)
    if not errors:
        errors = cross_field_errors({**current_values(), **parsed})
    if errors:
        return errors
    for key, value in parsed.items():
        text = as_text(value)
        row = db.session.get(Setting, key)
        if row is None:
            db.session.add(Setting(key=key, value=text))
        else:
            row.value = text
    return {}
