"""What every fuzzed form must show at the end of its run."""
from __future__ import annotations

from tests.fuzz import world
from tests.fuzz.runner import EXAMPLES, Fuzzer


def fuzz_form(app, target, totals) -> None:
    tally = Fuzzer(app, target).run()
    totals[str(target)] = tally
    assert tally.examples >= EXAMPLES
    assert tally.server_errors == 0
    # The fuzzer reached the view: not every example was stopped at the door (400 for a
    # control character), nor sent back to the login page.
    assert tally.examples - tally.statuses[400] >= EXAMPLES // 10, tally.statuses
    assert tally.relogins <= EXAMPLES // 20, (tally.relogins, tally.statuses)
    with app.app_context():
        problems = world.stored_problems()
    assert problems == [], problems[:20]
