"""The log scan (tests/logscan.py) fails a run whose logs hold an ID or phone number, however
the test silenced logging, and names the test; a clean run passes. Run in a child pytest."""
from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.helpers import ROOT

LEAKY = '''
import logging
import warnings


def test_silenced_every_way(caplog):
    caplog.set_level(logging.CRITICAL)
    logging.root.handlers.clear()
    logger = logging.getLogger("portal.quiet")
    logger.propagate = False
    logger.setLevel(logging.CRITICAL)
    logging.disable(logging.CRITICAL)
    logger.info("booking for %s", "３３０７８１ １９８００１０１ １２３８")
    logging.disable(logging.NOTSET)


def test_in_a_traceback():
    try:
        raise ValueError("sms to 138-1234-5678 failed")
    except ValueError:
        logging.getLogger("portal.notify").exception("delivery failed")


def test_in_a_warning():
    warnings.warn("user 13912345678 is odd", UserWarning)


def test_masked_values_are_fine():
    logging.getLogger("portal").warning("sent to 138****5678, id ending 1238, code 2026111810")
'''

CLEAN = '''
import logging


def test_masked_values_are_fine():
    logging.getLogger("portal").warning("sent to 138****5678 at 2026-11-18 10:00:00")
'''


def run(tmp_path, source: str) -> subprocess.CompletedProcess:
    (tmp_path / "test_inner.py").write_text(textwrap.dedent(source))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.logscan", "-p", "no:cacheprovider",
         "-q", "-W", "default", "--rootdir", str(tmp_path), str(tmp_path / "test_inner.py")],
        cwd=tmp_path, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=120)


def test_a_leaking_run_fails_naming_the_tests_and_masking_the_numbers(tmp_path):
    result = run(tmp_path, LEAKY)
    out = result.stdout
    assert "4 passed" in out, out  # the tests themselves pass ...
    assert result.returncode == 1, out  # ... the scan fails the run
    assert "log scan: ID or phone numbers in log records" in out
    assert "test_inner.py::test_silenced_every_way: log portal.quiet info" in out
    assert "test_inner.py::test_in_a_traceback: log portal.notify error" in out
    assert "test_inner.py::test_in_a_warning: warning" in out
    assert "test_masked_values_are_fine" not in out.split("log scan:")[1]
    assert "13812345678" not in out and "330781198001011238" not in out  # masked in the report
    assert "138******78" in out and "330*************38" in out


def test_a_clean_run_passes(tmp_path):
    result = run(tmp_path, CLEAN)
    assert result.returncode == 0, result.stdout
    assert "log scan" not in result.stdout
