"""Property-based fuzzing of the reception forms (see tests/fuzz/runner.py for the properties)."""
import pytest

from tests.fuzz.checks import fuzz_form
from tests.fuzz.targets import RECEPTION


@pytest.mark.parametrize("target", RECEPTION, ids=str)
def test_reception_form_survives_fuzzing(fuzz_app, totals, target):
    fuzz_form(fuzz_app, target, totals)
