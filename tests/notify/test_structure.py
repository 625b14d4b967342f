"""The outbox keeps the portal's shape: its lifecycle is the one writer of a message's status,
its views neither query nor commit, its files stay small, and no log line or stored error
carries a phone number."""
from __future__ import annotations

from tests.helpers import ROOT, offenders, oversized

PACKAGE = ROOT / "portal" / "notify"
SOURCES = sorted(p for p in PACKAGE.glob("*.py") if p.name != "models.py")  # models declare
TEMPLATES = sorted((ROOT / "templates" / "notify").glob("*"))


def test_status_is_set_only_by_the_lifecycle():
    assert offenders(SOURCES, r"\.status\s*=(?!=)|\bstatus\s*=\s*[\"']|values\(\s*status|"
                              r"[\"']status[\"']\s*:") == []


def test_views_neither_commit_nor_query():
    assert offenders([PACKAGE / "views.py"], r"db\.session|\bselect\(|\.commit\(|"
                                             r"\.rollback\(") == []


def test_templates_ask_instead_of_comparing_statuses():
    assert offenders(TEMPLATES, r"\bstatus\s*(==|!=|\bin\b|\bnot\s+in\b)") == []


def test_files_and_functions_stay_small():
    assert oversized(SOURCES) == []


def test_no_phone_in_a_log_line():
    # the log channel masks the number; nothing else logs a message's phone or text
    assert offenders(SOURCES, r"logger\.\w+\(.*(\.phone|\.text|\.body)\b(?!\))") == []
