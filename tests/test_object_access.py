"""Object-level authorization (issue 10): where the object, not the role, decides.

The role table (``portal.access.ACCESS``, walked by tests/test_access_table.py) lets any panel
member reach the panel's routes and anyone reach a receipt's; what stops a panel member from
opening or voting in another panel's hearing by changing an id, or a citizen from opening
another's receipt by changing the code, is the object check in the view or service. Every
route of the URL map taking a booking ``<code>`` or a ``<hearing_id>`` / ``<poll_id>`` is
listed in ``OBJECT_ROUTES`` with the test that proves its check — or, for staff routes where
any holder of the role may act on every object, why the role table is the whole answer. A new
such route fails ``test_every_object_route_has_a_case`` until it is listed.

The panel's cases are here; the citizen's (receipt, calendar file, cancel, accept, progress,
rating) are in tests/test_object_access_citizen.py.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from portal import access, audit
from portal.evaluation import panels, queries, voting
from portal.evaluation.poll_records import OpenVote, Participation, Poll
from portal.extensions import db
from tests.conftest import AuthActions
from tests.evaluation import factories

OBJECT_ARGUMENTS = {"code", "hearing_id", "poll_id"}
CITIZEN = "tests/test_object_access_citizen.py"
HERE = "tests/test_object_access.py"


@dataclass(frozen=True)
class RoleOnly:
    """A staff route whose every object is open to every holder of its role."""

    why: str


DESK = RoleOnly("接待科 acts at the desk on any booking by its code; no booking has an owner")
OFFICE = RoleOnly("评价办 runs every hearing and poll; no hearing belongs to one clerk")

OBJECT_ROUTES: dict[str, str | RoleOnly] = {
    # The citizen: the code opens nothing without the booking's own phone (or this browser's
    # own remembered receipt).
    "reception.receipt": f"{CITIZEN}::test_receipt_print_and_calendar_need_the_bookings_own_phone",
    "reception.receipt_print":
        f"{CITIZEN}::test_receipt_print_and_calendar_need_the_bookings_own_phone",
    "reception.receipt_ics":
        f"{CITIZEN}::test_receipt_print_and_calendar_need_the_bookings_own_phone",
    "reception.cancel": f"{CITIZEN}::test_cancelling_needs_the_bookings_own_phone",
    "reception.accept": f"{CITIZEN}::test_confirming_an_offer_needs_the_entrys_own_phone",
    "casework_public.progress": f"{CITIZEN}::test_progress_needs_the_bookings_own_phone",
    "casework_public.progress_access": f"{CITIZEN}::test_progress_needs_the_bookings_own_phone",
    "casework_public.rate": f"{CITIZEN}::test_rating_needs_the_bookings_own_phone",
    # The panel: a member's own panel only, seated, present to vote, the chair for reasons.
    "evaluation_panel.hearing": f"{HERE}::test_a_member_cannot_open_another_panels_hearing",
    "evaluation_panel.vote": f"{HERE}::test_a_member_cannot_vote_in_another_panels_poll",
    "evaluation_panel.reasons": f"{HERE}::test_reasons_are_the_own_chairs_alone",
    # The public: a hearing's notice and result exist only once published.
    "evaluation.notice": "tests/evaluation/test_public.py::test_unpublished_things_are_not_public",
    "evaluation.result": "tests/evaluation/test_public.py::test_unpublished_things_are_not_public",
    # Staff, per object where an owner matters: counts are confirmed by another clerk.
    "evaluation_staff.hearings.paper_confirm":
        "tests/evaluation/test_refusals.py::test_the_clerk_cannot_confirm_their_own_counts",
    **{f"reception_desk.{view}": DESK for view in ("checkin_page", "booking_act", "reveal")},
    **{f"evaluation_staff.hearings.{view}": OFFICE for view in (
        "view attendance cancel delivery edit letter_save letter_print letter_issue notice "
        "panel poll_open publish recusal_new poll_close poll_correct paper poll_progress"
    ).split()},
}
# Further cases for the panel, beyond one route each.
PANEL_CASES = ("test_a_recused_member_loses_the_hearing", "test_an_absent_member_cannot_vote",
               "test_a_hearing_before_its_notice_is_hidden_from_its_own_panel")


def _resolve(case: str):
    path, name = case.split("::")
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    return getattr(module, name, None)


def test_every_object_route_has_a_case(app):
    taking_objects = {rule.endpoint for rule in app.url_map.iter_rules()
                      if OBJECT_ARGUMENTS & set(rule.arguments)}
    assert taking_objects - OBJECT_ROUTES.keys() == set(), "object routes without a case"
    assert OBJECT_ROUTES.keys() - taking_objects == set(), "cases for routes that are gone"
    for endpoint, case in OBJECT_ROUTES.items():
        rule = access.ACCESS[endpoint]
        if isinstance(case, RoleOnly):
            # Only staff roles may rely on the role alone: a public or panel route needs a case.
            assert not rule.public and "panel" not in rule.roles, endpoint
        else:
            assert callable(_resolve(case)), f"{endpoint}: {case} does not exist"
    for name in PANEL_CASES:
        assert callable(globals().get(name)), name


# --- two panels --------------------------------------------------------------------------------

A_TITLE, B_TITLE, B_NUMBER = "白果村土地征收补偿争议", "东门社区物业收费调整", "XF-2026-0200"
REASONS = "评价小组一致认为处理得当，程序合法。"


def _two_panels(clock, *, closed: bool = False):
    """Hearing A (members member1–9, member1 the chair) and hearing B (other1–9), both public,
    everyone present, a poll open on each — closed after votes when ``closed``."""
    a, _ = factories.noticed_hearing()
    b, _ = factories.noticed_hearing(prefix="other", matter_obj=factories.accepted_matter(
        number=B_NUMBER, title=B_TITLE))
    factories.at_hearing(clock, a)
    polls = []
    for hearing, prefix in ((a, "member"), (b, "other")):
        factories.present(hearing)
        poll = factories.open_poll(hearing)
        if closed:
            factories.vote_all(poll, ["satisfied"] * 9, prefix=prefix)
            voting.close_poll(poll.id, factories.staff(), factories.now())
            db.session.commit()
        polls.append(poll)
    return a, b, polls[0], polls[1]


def _state(*polls: Poll) -> dict:
    """All a panel member's request could change: participation, open votes, running or final
    counts, every letter's reasons, and the audit log (less access refusals)."""
    db.session.expire_all()
    letters = {p.hearing_id: getattr(queries.letter_for(p.hearing_id), "reasons", None)
               for p in polls}
    return {
        "participation": db.session.scalar(select(func.count()).select_from(Participation)),
        "open_votes": db.session.scalar(select(func.count()).select_from(OpenVote)),
        "tallies": {p.id: voting.tally(db.session.get(Poll, p.id)) for p in polls},
        "letters": letters,
        "audit": db.session.scalars(select(audit.AuditEntry.id).where(
            audit.AuditEntry.action != "access.denied").order_by(audit.AuditEntry.id)).all(),
    }


def _refused(response, *codes: int) -> None:
    assert response.status_code in codes, (response.status_code, response.text[:300])
    for secret in (B_TITLE, B_NUMBER):
        assert secret not in response.text


# --- the panel's routes ------------------------------------------------------------------------

def test_a_member_cannot_open_another_panels_hearing(app, client, clock):
    a, b, _poll_a, _poll_b = _two_panels(clock)
    AuthActions(client).login("panel", "member2")
    for headers in ({}, {"HX-Request": "true"}):  # the page and its 5-second poll fragment
        _refused(client.get(f"/staff/panel/hearings/{b.id}", headers=headers), 404)
        own = client.get(f"/staff/panel/hearings/{a.id}", headers=headers)
        assert own.status_code == 200 and 'value="satisfied"' in own.text
    assert B_TITLE not in client.get("/staff/panel/").text
    assert A_TITLE in client.get(f"/staff/panel/hearings/{a.id}").text


def test_a_member_cannot_vote_in_another_panels_poll(app, client, clock):
    a, b, poll_a, poll_b = _two_panels(clock)
    AuthActions(client).login("panel", "member2")
    before = _state(poll_a, poll_b)
    vote_b = f"/staff/panel/polls/{poll_b.id}/vote"
    for data in ({"choice": "satisfied"}, {"choice": "unsatisfied", "confirm": "1"}):
        refused = client.post(vote_b, data=data)
        _refused(refused, 403)
        assert "提交后不能更改" not in refused.text  # not even asked to confirm
    for data in ({"choice": "maybe"}, {}):  # an invalid form shows no page of B either
        _refused(client.post(vote_b, data=data), 403, 404)
    assert _state(poll_a, poll_b) == before
    # Each refused vote is a failed authorization in the audit log, with its reason.
    denied = db.session.scalars(select(audit.AuditEntry).where(
        audit.AuditEntry.action == "access.denied")).all()
    assert len(denied) >= 2
    assert all(e.actor == "member2" and "评价员" in e.detail_dict["reason"] for e in denied)
    # The same member votes in their own poll (so the refusals above are not just broken).
    done = client.post(f"/staff/panel/polls/{poll_a.id}/vote",
                       data={"choice": "satisfied", "confirm": "1"})
    assert done.status_code == 303
    after = _state(poll_a, poll_b)
    assert after["participation"] == 1 and sum(after["tallies"][poll_a.id].values()) == 1
    assert after["tallies"][poll_b.id] == before["tallies"][poll_b.id]


def test_reasons_are_the_own_chairs_alone(app, client, clock):
    a, b, poll_a, poll_b = _two_panels(clock, closed=True)
    auth = AuthActions(client)
    auth.login("panel", "member1")  # A's chair, nothing on B
    before = _state(poll_a, poll_b)
    _refused(client.post(f"/staff/panel/hearings/{b.id}/reasons", data={"reasons": REASONS}), 404)
    assert _state(poll_a, poll_b) == before
    assert client.post(f"/staff/panel/hearings/{a.id}/reasons",
                       data={"reasons": REASONS}).status_code == 303
    assert queries.letter_for(a.id).reasons == REASONS and queries.letter_for(b.id) is None
    auth.logout()
    auth.login("panel", "member2")  # on A's panel, not its chair: cannot overwrite
    written = _state(poll_a, poll_b)
    refused = client.post(f"/staff/panel/hearings/{a.id}/reasons",
                          data={"reasons": "我认为处理意见不当，应当重新评议。"})
    assert refused.status_code == 403
    assert _state(poll_a, poll_b) == written
    auth.logout()
    auth.login("panel", "other1")  # B's chair may write B's
    assert client.post(f"/staff/panel/hearings/{b.id}/reasons",
                       data={"reasons": REASONS}).status_code == 303


def test_a_recused_member_loses_the_hearing(app, client, clock):
    hearing, pool = factories.noticed_hearing()
    spare = factories.evaluators(10)[-1]  # member10, replaces the recused member9
    loaded = queries.load_hearing(hearing.id)
    panels.request_recusal(loaded, pool[8].id, "与信访人系同村邻居", "self", "", factories.staff(),
                           factories.now())
    db.session.commit()
    assert panels.set_panel(queries.load_hearing(hearing.id), [e.id for e in pool[:8]] + [spare.id],
                            pool[0].id, factories.staff(), factories.now()) is None
    db.session.commit()
    factories.at_hearing(clock, hearing)
    factories.present(hearing)
    poll = factories.open_poll(hearing)
    auth = AuthActions(client)
    auth.login("panel", "member9")
    before = _state(poll)
    assert A_TITLE not in client.get("/staff/panel/").text
    assert client.get(f"/staff/panel/hearings/{hearing.id}").status_code == 404
    for data in ({"choice": "satisfied"}, {"choice": "satisfied", "confirm": "1"}):
        refused = client.post(f"/staff/panel/polls/{poll.id}/vote", data=data)
        assert refused.status_code == 403 and "不是本次评价会的评价员" in refused.text
    assert _state(poll) == before
    auth.logout()
    auth.login("panel", "member10")
    assert client.post(f"/staff/panel/polls/{poll.id}/vote",
                       data={"choice": "satisfied", "confirm": "1"}).status_code == 303
    assert _state(poll)["participation"] == 1


def test_an_absent_member_cannot_vote(app, client, clock):
    hearing, _ = factories.noticed_hearing()
    factories.at_hearing(clock, hearing)
    factories.present(hearing, count=8)  # member9 not seated
    poll = factories.open_poll(hearing)
    AuthActions(client).login("panel", "member9")
    before = _state(poll)
    page = client.get(f"/staff/panel/hearings/{hearing.id}")
    assert page.status_code == 200 and A_TITLE in page.text  # on the panel: may read
    for data in ({"choice": "satisfied"}, {"choice": "satisfied", "confirm": "1"}):
        refused = client.post(f"/staff/panel/polls/{poll.id}/vote", data=data)
        assert refused.status_code == 403 and "未登记出席" in refused.text
        assert "提交后不能更改" not in refused.text
    assert _state(poll) == before


@pytest.mark.parametrize("method, path", [("get", ""), ("post", "/reasons")])
def test_a_hearing_before_its_notice_is_hidden_from_its_own_panel(app, client, method, path):
    hearing, _ = factories.paneled_hearing()  # member1 is its chair; no notice yet
    AuthActions(client).login("panel", "member1")
    response = getattr(client, method)(f"/staff/panel/hearings/{hearing.id}{path}",
                                       data={"reasons": REASONS} if method == "post" else None)
    assert response.status_code == 404 and A_TITLE not in response.text
    assert queries.letter_for(hearing.id) is None
