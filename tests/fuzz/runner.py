"""One endpoint under fire: hypothesis draws the URL (a real row mostly, a wrong one sometimes)
and the form, the portal answers, and after every example the properties are checked:

- never a 5xx;
- a refusal (4xx, or a 303 that flashes an error) changes no row count of any table — no
  half-written row survives a refused request; nor does any GET (the query-string forms);
- after the run, no stored text holds a control or bidi override character, and none exceeds
  its column's length (``world.stored_problems``).
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from werkzeug.routing.converters import AnyConverter

from tests.fuzz import fields, strategies, world
from tests.fuzz.targets import ACCOUNTS, Target

EXAMPLES = 500
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
    # The database is not reset between examples, so shrinking would replay a failure against
    # a changed world: report the first failing example as drawn instead.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck))
# Tables a refusal may write by design: a failed login is counted (accounts.throttle), and a
# refused authorization may be logged.
WRITTEN_BY_REFUSALS = {"accounts.login": {"login_failure"}}
LOGGED_REFUSAL = {"audit_entry"}
_VARIABLE = re.compile(r"<([^>]*)>")


@dataclass
class Tally:
    examples: int = 0
    statuses: Counter = field(default_factory=Counter)
    relogins: int = 0

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)


def rules_of(app, target: Target) -> list:
    return [r for r in app.url_map.iter_rules(target.endpoint) if target.method in r.methods]


def url_strategy(rule, subject: dict) -> st.SearchStrategy[str]:
    parts = {}
    for variable in _VARIABLE.findall(rule.rule):
        name = variable.rsplit(":", 1)[-1]
        converter = rule._converters[name]
        if isinstance(converter, AnyConverter):
            parts[name] = st.sampled_from(sorted(converter.items) + ["delete"])
        elif variable.startswith("int:"):
            parts[name] = strategies.path_int(st.just(subject.get(name, 1)))
        else:
            parts[name] = strategies.path_text(st.just(str(subject.get(name, "X"))))
    return st.fixed_dictionaries(parts).map(
        lambda values: _VARIABLE.sub(lambda m: values[m.group(1).rsplit(":", 1)[-1]], rule.rule))


def example_strategy(app, target: Target, subjects: list[dict], pools: dict):
    """(url, form, htmx?) for one subject drawn from ``subjects``. The strategies are built
    once per subject: building one per example costs hypothesis more than the request."""
    rules = rules_of(app, target)

    def for_subject(subject):
        valid = {name: fields.valid(name, spec, subject, pools)
                 for name, spec in target.fields.items()}
        return st.builds(Example, st.one_of(*[url_strategy(r, subject) for r in rules]),
                         strategies.form_data(valid), st.booleans())

    built = [for_subject(subject) for subject in subjects]
    return st.integers(0, len(built) - 1).flatmap(built.__getitem__)


class Example:
    """One request. Not a dataclass: hypothesis prints those field by field, and a 100 kB
    value must not be printed."""

    def __init__(self, url: str, data: dict, htmx: bool):
        self.url, self.data, self.htmx = url, data, htmx

    def __repr__(self) -> str:
        return f"Example({self.url[:200]!r}, {_short(self.data)}, htmx={self.htmx})"


class Fuzzer:
    def __init__(self, app, target: Target):
        self.app, self.target = app, target
        self.client = app.test_client()
        self.tally = Tally()
        with app.app_context():
            self.subjects, self.pools = world.subjects(target.subject), world.pools()
            self.query = world.fingerprint_query()
        if target.role is not None:  # not the fuzzer's own account: a new password locks it out
            self.subjects = [s for s in self.subjects
                             if s.get("username") != ACCOUNTS[target.role][0]]
        self.login()

    def login(self) -> None:
        """Log in as the target's role (logging in writes rows: count afterwards)."""
        if self.target.role is not None:
            username, password = ACCOUNTS[self.target.role]
            response = self.client.post("/staff/login",
                                        data={"username": username, "password": password})
            assert response.status_code == 303, response.get_data(as_text=True)[:300]
            self.flashes()
        with self.app.app_context():
            self.counts = world.fingerprint(self.query)

    def flashes(self) -> list[str]:
        """The categories flashed (and taken, so they do not pile up in the cookie)."""
        with self.client.session_transaction() as session:
            return [category for category, _ in session.pop("_flashes", [])]

    def run(self) -> Tally:
        @FUZZ_SETTINGS
        @given(example_strategy(self.app, self.target, self.subjects, self.pools))
        def fuzz(example):
            self.check(example.url, example.data, example.htmx)

        fuzz()
        return self.tally

    def check(self, url: str, data: dict, htmx: bool) -> None:
        headers = {"HX-Request": "true"} if htmx else {}
        # A 100 kB value goes as multipart/form-data (a browser's other form encoding):
        # percent-decoding it in Python would triple the run's time.
        if self.target.method == "GET":
            response = self.client.get(url, query_string=data, headers=headers)
        else:
            big = any(len(v) > 10_000 for v in data.values() if isinstance(v, str))
            response = self.client.post(url, data=data, headers=headers,
                                        content_type="multipart/form-data" if big else None)
        status = response.status_code
        self.tally.examples += 1
        self.tally.statuses[status] += 1
        shown = f"{self.target.method} {url[:200]} {_short(data)} -> {status}"
        assert status < 500, shown + "\n" + response.get_data(as_text=True)[:2000]
        refused = status >= 400 or "error" in self.flashes()
        with self.app.app_context():
            counts = world.fingerprint(self.query)
        if refused or self.target.method == "GET":
            changed = {t for t in counts if counts[t] != self.counts[t]}
            allowed = WRITTEN_BY_REFUSALS.get(self.target.endpoint, set()) | (
                LOGGED_REFUSAL if status == 403 else set())
            assert changed <= allowed, f"{shown}: a refusal changed {sorted(changed - allowed)}"
        self.counts = counts
        if status in (302, 303) and response.location.split("?")[0].endswith("/staff/login"):
            self.tally.relogins += 1  # the example ended the session (e.g. its own password)
            self.login()


def _short(data: dict) -> str:
    return repr({k[:40]: (v[:60] if isinstance(v, str) else v) for k, v in data.items()})[:600]
