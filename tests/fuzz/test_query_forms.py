"""Property-based fuzzing of the public search and filter pages' query strings: never a 5xx,
and no GET changes a row (see tests/fuzz/runner.py)."""
import pytest

from tests.fuzz.checks import fuzz_form
from tests.fuzz.targets import QUERIES


@pytest.mark.parametrize("target", QUERIES, ids=str)
def test_query_form_survives_fuzzing(fuzz_app, totals, target):
    fuzz_form(fuzz_app, target, totals)
