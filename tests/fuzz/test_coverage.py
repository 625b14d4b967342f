"""The fuzzer covers every form: a new POST endpoint fails here until it has a line in
tests/fuzz/targets.py (or, when it takes no field at all, in ``BUTTONS``)."""
from collections import Counter

from portal.reception.forms import BookingForm
from tests.fuzz import world
from tests.fuzz.fields import form_fields
from tests.fuzz.targets import ALL, BUTTONS


def test_every_post_endpoint_is_fuzzed_or_a_button(app):
    posted = {r.endpoint for r in app.url_map.iter_rules() if "POST" in r.methods}
    fuzzed = Counter(t.endpoint for t in ALL)
    assert [e for e, n in fuzzed.items() if n > 1] == []
    assert set(fuzzed) | BUTTONS == posted
    assert set(fuzzed) & BUTTONS == set()
    assert all(t.fields and t.method == "POST" for t in ALL)


def test_fields_are_read_from_the_form_classes():
    assert set(form_fields(BookingForm)) == {
        "name", "id_number", "phone", "category", "summary", "party_size", "related_matter_no",
        "consent"}
    assert form_fields(BookingForm)["party_size"].kind == "int"


def test_the_seed_itself_is_clean(fuzz_app):
    with fuzz_app.app_context():
        assert world.stored_problems() == []
        assert all(world.subjects(kind) for kind in world.SUBJECTS)
