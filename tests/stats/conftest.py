"""The reception tally must agree with the bookings after every test here."""
from tests.tally_reference import tally_agrees  # noqa: F401 - an autouse fixture
