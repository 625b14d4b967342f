"""The fields of a form, read from its WTForms class, and a valid-looking value for each.

A field is described once (:class:`Spec`: its kind, choices, length limit) and turned into a
strategy for one example's *subject* — the real row the example's URL points at — so that a
phone number can be the booking's own and an id one that exists.
"""
from __future__ import annotations

from dataclasses import dataclass

import wtforms
from hypothesis import strategies as st
from wtforms.fields.core import UnboundField
from wtforms.validators import Length

from portal import forms as portal_forms
from portal import settings
from portal.vocabulary import CATEGORIES
from tests.fuzz import strategies as values


@dataclass(frozen=True)
class Spec:
    kind: str  # text, int, date, time, bool, choice, id, ids, hidden
    choices: tuple = ()
    limit: int | None = None
    low: int = 0
    high: int = 10


def form_fields(form_class, prefix: str = "", **overrides: Spec) -> dict[str, Spec]:
    """name -> Spec for every field the class declares (``prefix-name`` when prefixed)."""
    found = {}
    for name in dir(form_class):
        unbound = getattr(form_class, name, None)
        if isinstance(unbound, UnboundField) and name != "csrf_token":
            found[f"{prefix}-{name}" if prefix else name] = overrides.get(name) or _spec(unbound)
    return found


def _spec(unbound: UnboundField) -> Spec:
    cls, kwargs = unbound.field_class, unbound.kwargs
    ids = kwargs.get("coerce") is portal_forms.bounded_int
    options = tuple(str(c.value if hasattr(c, "value") else c[0]) for c in kwargs.get("choices") or ())
    if issubclass(cls, wtforms.BooleanField):
        return Spec("bool")
    if issubclass(cls, wtforms.IntegerField):
        return Spec("int", low=_low(kwargs), high=_high(kwargs))
    if issubclass(cls, wtforms.DateField):
        return Spec("date")
    if issubclass(cls, wtforms.TimeField):
        return Spec("time")
    if issubclass(cls, wtforms.SelectMultipleField):
        return Spec("ids" if ids else "choice", options)
    if issubclass(cls, wtforms.SelectField | wtforms.RadioField):
        return Spec("id" if ids else "choice", options)
    if issubclass(cls, wtforms.HiddenField):
        return Spec("hidden")
    limits = [v.max for v in kwargs.get("validators") or () if isinstance(v, Length) and v.max > 0]
    return Spec("text", limit=limits[0] if limits else None)


def _range(kwargs):
    from wtforms.validators import NumberRange
    return next((v for v in kwargs.get("validators") or () if isinstance(v, NumberRange)), None)


def _low(kwargs) -> int:
    bound = _range(kwargs)
    return bound.min if bound and bound.min is not None else 0


def _high(kwargs) -> int:
    bound = _range(kwargs)
    return bound.max if bound and bound.max is not None else 30


def setting_fields() -> dict[str, Spec]:
    """The rule settings page posts one field per registered setting."""
    found = {}
    for key, spec in settings.REGISTRY.items():
        if spec.choices:
            found[key] = Spec("choice", tuple(c for c, _ in spec.choices))
        elif isinstance(spec.default, bool):
            found[key] = Spec("bool")
        elif isinstance(spec.default, int):
            found[key] = Spec("int", low=spec.minimum or 0, high=spec.maximum or 100)
        elif key.endswith("_time"):
            found[key] = Spec("time")
        else:
            found[key] = Spec("text", limit=spec.max_length)
    return found


# --- a valid-looking value ---------------------------------------------------------------------

REDIRECTS = ["", "/staff/reception/", "/staff/outbox/?status=failed", "list", "//evil.example/",
             "https://evil.example/", "javascript:alert(1)", "/\\evil.example", "/staff/\r\nX: y"]
USERNAMES = ["admin", "jiedai", "pingjia", "pingjia2", "panel1", "new-clerk", "ADMIN", "ａｄｍｉｎ"]
PASSWORDS = ["demo-guanli-2026", "demo-reception-2026", "wrong", "correct horse battery staple 7",
             "jiedai-jiedai-jiedai", "x" * 129]
BY_NAME = {
    "username": st.sampled_from(USERNAMES),
    "password": st.sampled_from(PASSWORDS),
    "id_number": values.id_numbers(),
    "petitioner_id": values.id_numbers(),
    "number": st.sampled_from(["XF-2026-0099", "XF-2026-0031", "xf 2026 0100", "XF—2026—0101"]),
    "related_matter_no": st.sampled_from(["", "XF-2026-0031", "XF-2026-9999"]),
    "category": st.sampled_from(list(CATEGORIES) + ["", "其他"]),
    "choice": st.sampled_from(["manyi", "bumanyi", "abstain", "满意", ""]),
    "confirm": st.sampled_from(["1", "", "0"]),
    "record_id": st.sampled_from(["", "1", "2", "999999"]),
    "contact": st.sampled_from(["", "13800138000", "县律师协会 王律师"]),
}
POOL_OF = {"leader": "leader", "leader_id": "leader", "duty_leader_id": "leader", "unit_id": "unit",
           "evaluator_id": "evaluator", "evaluator_ids": "evaluator", "chair_id": "evaluator",
           "present_ids": "evaluator", "user_id": "user"}


def valid(name: str, spec: Spec, subject: dict, pools: dict[str, list]) -> st.SearchStrategy:
    short = name.rsplit("-", 1)[-1]
    if short in ("phone", "code") and subject.get(short):
        own = st.just(subject[short])
        return st.one_of(own, own, values.phones() if short == "phone" else st.just("ABCD2345"))
    if short == "phone":
        return values.phones()
    if short in BY_NAME and (spec.kind in ("text", "hidden") or not spec.choices):
        return BY_NAME[short]
    if spec.kind == "hidden":
        return st.sampled_from(REDIRECTS)
    if spec.kind in ("id", "ids"):
        pool = [str(i) for i in pools.get(POOL_OF.get(short, ""), [])] or ["1"]
        if spec.kind == "ids":
            return st.lists(st.sampled_from(pool + ["0"]), min_size=1, max_size=9)
        return st.sampled_from(pool + ["0"])
    return _by_kind(spec)


def _by_kind(spec: Spec) -> st.SearchStrategy:
    if spec.kind == "bool":
        return st.sampled_from(["y", "1", "on", "", "false", "0"])
    if spec.kind == "int":
        return values.integers(spec.low, spec.high)
    if spec.kind == "date":
        return st.sampled_from(values.DATES)
    if spec.kind == "time":
        return st.sampled_from(values.TIMES)
    if spec.kind == "choice":
        return st.sampled_from([*spec.choices, "bogus"] if spec.choices else ["", "bogus"])
    return values.texts(spec.limit)
