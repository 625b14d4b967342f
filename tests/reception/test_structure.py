"""The shape reception was given (issue 7), kept as it grows: the lifecycles are the one writer
of status, templates ask instead of comparing statuses, views leave transactions and queries to
others, files and functions stay small enough to read at once."""
from __future__ import annotations

from tests.helpers import ROOT, offenders, oversized

SOURCES = sorted((ROOT / "portal" / "reception").glob("*.py")) + [ROOT / "portal" / "home.py"]
VIEWS = [ROOT / "portal" / "reception" / "views.py", ROOT / "portal" / "reception" / "staff_views.py",
         ROOT / "portal" / "home.py"]
TEMPLATES = sorted((ROOT / "templates" / "reception").rglob("*.html")) + [
    ROOT / "templates" / "home.html"]


def test_status_is_set_only_by_the_lifecycles():
    # portal/lifecycle.py (fire, fire_where, new) is the writer; reception only declares tables.
    assert offenders(SOURCES, r"\.status\s*=(?!=)|\bstatus\s*=\s*[\"']|values\(\s*status") == []


def test_templates_ask_instead_of_comparing_statuses():
    assert offenders(TEMPLATES, r"\bstatus\s*(==|!=|\bin\b|\bnot\s+in\b)") == []


def test_views_neither_commit_nor_query():
    assert offenders(VIEWS, r"db\.session|\bselect\(|commit_or_flash|get_or_404|\.commit\(|"
                            r"\.rollback\(") == []


def test_state_changes_speak_through_events():
    # The audit log is a subscriber of events; no reception code writes to it directly.
    assert offenders(SOURCES, r"audit\.record\(") == []


def test_files_and_functions_stay_small():
    assert oversized(SOURCES) == []
