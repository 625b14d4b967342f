"""Property-based fuzzing of the public forms (see tests/fuzz/runner.py for the properties)."""
import pytest

from tests.fuzz.checks import fuzz_form
from tests.fuzz.targets import PUBLIC


@pytest.mark.parametrize("target", PUBLIC, ids=str)
def test_public_form_survives_fuzzing(fuzz_app, totals, target):
    fuzz_form(fuzz_app, target, totals)
