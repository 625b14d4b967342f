"""The shape of the whole portal (issue 7), kept as it grows. The domain packages have their
own structure tests for what only they declare (their lifecycles)."""
from __future__ import annotations

import ast

from tests.helpers import ROOT, offenders, oversized

SOURCES = sorted((ROOT / "portal").rglob("*.py"))
VIEWS = [p for p in SOURCES if p.name.endswith("views.py") or p.name == "home.py"]
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))


def test_files_and_functions_stay_small():
    assert oversized(SOURCES) == []


def test_the_audit_log_hears_of_changes_only_through_events():
    assert offenders([p for p in SOURCES if p.name != "audit.py"], r"audit\.record\(") == []


def test_views_neither_commit_nor_query():
    assert len(VIEWS) >= 7
    assert offenders(VIEWS, r"db\.session\.(commit|rollback)|\bselect\(") == []


def test_templates_ask_instead_of_comparing_statuses():
    assert offenders(TEMPLATES, r"\bstatus\s*(==|!=|\bin\b|\bnot\s+in\b)") == []


def test_no_module_imports_another_modules_private_names():
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("portal"):
                private = [a.name for a in node.names if a.name.startswith("_")]
                assert private == [], f"{path.relative_to(ROOT)}: {node.module} {private}"
