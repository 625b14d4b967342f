"""The shape evaluation was given (issue 7), kept as it grows: the lifecycles are the one
writer of status, state changes speak through events, templates ask instead of comparing
statuses, views leave transactions and queries to others, no module reaches into another's
private names, files and functions stay small enough to read at once."""
from __future__ import annotations

import ast

from tests.helpers import ROOT, offenders, oversized

PACKAGE = ROOT / "portal" / "evaluation"
SOURCES = sorted(PACKAGE.glob("*.py"))
VIEWS = [PACKAGE / name for name in ("views.py", "staff_views.py", "hearing_views.py",
                                     "hearing_page.py")]
TEMPLATES = sorted((ROOT / "templates" / "evaluation").rglob("*.html"))


def test_status_is_set_only_by_the_lifecycles():
    # portal/lifecycle.py (fire, new) is the writer; evaluation only declares the tables. A
    # recusal's status is its decision (a synonym). ``error.status`` is an HTTP status.
    pattern = (r"(?<!error)\.(status|decision)\s*=(?!=)|\b(status|decision)=[\"']|"
               r"values\(\s*status|^\s*[\w.]+\.(status|decision)\s*,[\w.\s,]*=(?!=)")
    assert offenders(SOURCES, pattern) == []


def test_state_changes_speak_through_events():
    assert offenders(SOURCES, r"audit\.record|from portal import .*\baudit\b") == []


def test_templates_ask_instead_of_comparing_statuses():
    # The dashboard's filter marks the chosen option: it compares the filter, not a record.
    found = offenders(TEMPLATES, r"\bstatus\s*(==|!=|\bin\b|\bnot\s+in\b)")
    assert [o for o in found if "filters.status == key" not in o] == []


def test_views_neither_commit_nor_query():
    assert offenders(VIEWS, r"db\.session|\bselect\(|commit_or_flash|get_or_404|\.commit\(|"
                            r"\.rollback\(|from portal\.extensions import") == []


def test_no_module_imports_another_modules_private_names():
    for path in SOURCES + sorted((ROOT / "tests" / "evaluation").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module != "__future__":
                private = [a.name for a in node.names if a.name.startswith("_")]
                assert private == [], f"{path.name}: {node.module} {private}"


def test_other_domains_ask_through_the_interface_only():
    outside = [p for p in sorted((ROOT / "portal").rglob("*.py"))
               if PACKAGE not in p.parents and p.name != "__init__.py"
               and p != ROOT / "portal" / "demo.py"]
    found = offenders(outside, r"portal\.evaluation(?!\.interface\b| import interface\b)")
    assert found == []


def test_files_and_functions_stay_small():
    assert oversized(SOURCES) == []
