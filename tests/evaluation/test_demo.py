"""`flask demo seed` builds the evaluation demo, and every page renders with it."""
from __future__ import annotations

from sqlalchemy import func, select

from portal.evaluation.models import Evaluator, FollowUp, Hearing, Matter
from portal.extensions import db
from tests.conftest import FIXED_NOW


def test_demo_seed_and_pages(app, client, runner):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    for i in range(1, 10):
        assert f"demo account: panel{i} / demo-panel-2026 (panel)" in result.output
    assert db.session.scalar(select(func.count(Evaluator.id))) == 15
    linked = db.session.scalar(select(func.count(Evaluator.id)).where(Evaluator.user_id.is_not(None)))
    assert linked == 9
    statuses = set(db.session.scalars(select(Matter.status)))
    assert {"registered", "applied", "refused", "accepted", "scheduled", "noticed", "satisfied",
            "follow_up"} <= statuses
    today = FIXED_NOW.date()
    noticed = db.session.scalar(select(Hearing).where(Hearing.status == "noticed"))
    assert (noticed.day - today).days - 1 >= 3
    overdue = db.session.scalars(select(FollowUp).where(FollowUp.status == "open")).all()
    assert any(f.overdue(today) for f in overdue) and not all(f.overdue(today) for f in overdue)

    hearings = db.session.scalars(select(Hearing.id)).all()
    matters = db.session.scalars(select(Matter.id)).all()
    public = ["/", "/evaluation/notices/", "/evaluation/results/", "/evaluation/feed.xml"]
    public += [f"/evaluation/notices/{h}" for h in db.session.scalars(
        select(Hearing.id).where(Hearing.notice_published_at.is_not(None)))]
    public += [f"/evaluation/results/{h}" for h in db.session.scalars(
        select(Hearing.id).where(Hearing.result_published_at.is_not(None)))]
    for url in public:
        assert client.get(url).status_code == 200, url
    assert client.post("/staff/login", data={"username": "pingjia",
                                             "password": "demo-evaluation-2026"}).status_code == 303
    staff = ["/staff/", "/staff/evaluation/", "/staff/evaluation/evaluators",
             "/staff/evaluation/followups"]
    staff += [f"/staff/evaluation/matters/{m}" for m in matters]
    staff += [f"/staff/evaluation/hearings/{h}" for h in hearings]
    for url in staff:
        assert client.get(url).status_code == 200, url
    letters = [client.get(f"/staff/evaluation/hearings/{h}/letter").status_code for h in hearings]
    assert letters.count(200) == 2
    client.post("/staff/logout")
    assert client.post("/staff/login", data={"username": "panel1",
                                             "password": "demo-panel-2026"}).status_code == 303
    mine = client.get("/staff/panel/")
    assert mine.status_code == 200 and mine.text.count('class="session-card eval-card"') == 3
