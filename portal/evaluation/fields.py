"""Small helpers every evaluation service uses on its input and its output: a cleaned text
field, the acting user's id, a text fit for publication, an organisation compared loosely."""
from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.exc import NoInspectionAvailable

from portal import privacy
from portal.identity import redact_personal_numbers


def clean_text(reasons: dict, field: str, value: str | None, label: str, limit: int,
               required: bool = True, minimum: int = 1) -> str:
    """Strip a text value and add a reason when it is missing or too long."""
    value = (value or "").strip()
    if required and len(value) < minimum:
        reasons[field] = f"请填写{label}" if minimum <= 1 else f"{label}至少 {minimum} 个字"
    elif len(value) > limit:
        reasons[field] = f"{label}最多 {limit} 个字"
    return value


def actor_id(actor) -> int | None:
    """The acting user's id, read without loading the row (an expired user object would
    otherwise refresh, and autoflush a half-built record)."""
    if actor is None or isinstance(actor, str):
        return None
    actor = getattr(actor, "_get_current_object", lambda: actor)()  # Flask-Login's proxy
    try:
        identity = inspect(actor).identity
    except NoInspectionAvailable:
        identity = None
    return identity[0] if identity else getattr(actor, "id", None)


def public_text(value: str, full_name: str) -> str:
    """A text fit for publication: the petitioner's name becomes 张某某 (as courts publish).

    The full name and a given name of two or more characters are replaced; staff are also
    refused, on save, a public text containing anything shaped like an ID or phone number.
    """
    value = value or ""
    name = (full_name or "").strip()
    if name:
        masked = privacy.mask_name(name)
        value = value.replace(name, masked)
        given = name[len(masked) - 2:]
        if len(given) >= 2:
            value = value.replace(given, "某某")
    return redact_personal_numbers(value)


def normalise_org(value: str) -> str:
    """Organisations compare without spaces and punctuation: '青石镇 人民政府' == '青石镇人民政府'."""
    return "".join(ch for ch in (value or "") if ch.isalnum()).upper()
