"""Property-based fuzzing of the admin forms (see tests/fuzz/runner.py for the properties)."""
import pytest

from tests.fuzz.checks import fuzz_form
from tests.fuzz.targets import ADMIN


@pytest.mark.parametrize("target", ADMIN, ids=str)
def test_admin_form_survives_fuzzing(fuzz_app, totals, target):
    fuzz_form(fuzz_app, target, totals)
