"""Property-based fuzzing of the evaluation forms (see tests/fuzz/runner.py for the properties)."""
import pytest

from tests.fuzz.checks import fuzz_form
from tests.fuzz.targets import EVALUATION


@pytest.mark.parametrize("target", EVALUATION, ids=str)
def test_evaluation_form_survives_fuzzing(fuzz_app, totals, target):
    fuzz_form(fuzz_app, target, totals)
