"""The unit list (责任单位): add, edit, deactivate and reactivate, duplicate names, counts."""
from __future__ import annotations

from sqlalchemy import func, select

from portal import audit
from portal.casework.models import Unit
from portal.extensions import db
from tests.casework import builders


def units() -> list[tuple]:
    db.session.expire_all()
    return [(u.name, u.kind, u.active) for u in db.session.scalars(select(Unit).order_by(Unit.id))]


def test_units_are_listed_departments_first_with_open_hand_overs(client, auth, clock):
    town = builders.unit("城关镇人民政府", "township")
    dept = builders.unit("县住建局", "department")
    builders.handover(clock, town)
    auth.login()
    page = client.get("/staff/units/").text
    assert page.index("县住建局") < page.index("城关镇人民政府")
    assert "县直部门" in page and "镇乡" in page
    town_row = page[page.index("城关镇人民政府"):]
    assert 'data-open-handovers="1"' in town_row[:town_row.index("</tr>")]
    dept_row = page[page.index("县住建局"):]
    assert 'data-open-handovers="0"' in dept_row[:dept_row.index("</tr>")]
    assert f"/staff/ledgers/units/{town.id}" in page and f"/staff/ledgers/units/{dept.id}" in page


def test_add_edit_deactivate_and_reactivate(client, auth):
    auth.login()
    response = client.post("/staff/units/new", data={"name": " 县人社局 ", "kind": "department"})
    assert response.status_code == 303 and response.location.endswith("/staff/units/")
    unit_id = db.session.scalar(select(Unit.id))
    assert units() == [("县人社局", "department", True)]
    assert client.get(f"/staff/units/{unit_id}").text.count("县人社局") >= 1
    response = client.post(f"/staff/units/{unit_id}",
                           data={"name": "县人力资源和社会保障局", "kind": "department"})
    assert response.status_code == 303
    assert client.post(f"/staff/units/{unit_id}/deactivate").status_code == 303
    assert units() == [("县人力资源和社会保障局", "department", False)]
    page = client.get("/staff/units/").text
    assert "已停用" in page and f"/staff/units/{unit_id}/activate" in page
    assert client.post(f"/staff/units/{unit_id}/activate").status_code == 303
    assert units()[0][2] is True
    actions = set(db.session.scalars(select(audit.AuditEntry.action)))
    assert {"unit.create", "unit.update", "unit.deactivate", "unit.activate"} <= actions


def test_a_duplicate_name_is_409_on_the_field(client, auth):
    builders.unit("县住建局")
    other = builders.unit("县水利局")
    auth.login()
    response = client.post("/staff/units/new", data={"name": "县住建局", "kind": "township"})
    assert response.status_code == 409
    assert 'class="field has-error"' in response.text and "已有同名的单位" in response.text
    response = client.post(f"/staff/units/{other.id}", data={"name": "县住建局",
                                                             "kind": "department"})
    assert response.status_code == 409 and "已有同名的单位" in response.text
    assert units() == [("县住建局", "department", True), ("县水利局", "department", True)]


def test_bad_fields_are_422_and_nothing_is_written(client, auth):
    auth.login()
    before = db.session.scalar(select(func.count(audit.AuditEntry.id)))
    for data, message in (({"name": "", "kind": "department"}, "请填写单位名称"),
                          ({"name": "长" * 41, "kind": "department"}, "最多 40 字"),
                          ({"name": "县林业局", "kind": ""}, "请选择单位类型"),
                          ({"name": "县林业局", "kind": "village"}, "请选择单位类型")):
        response = client.post("/staff/units/new", data=data)
        assert response.status_code == 422 and message in response.text, data
    assert units() == []
    assert db.session.scalar(select(func.count(audit.AuditEntry.id))) == before


def test_roles_csrf_and_unknown_units(client, auth):
    made = builders.unit()
    auth.login("evaluation")
    assert client.get("/staff/units/").status_code == 403
    assert client.post("/staff/units/new", data={"name": "县林业局",
                                                 "kind": "department"}).status_code == 403
    assert client.post(f"/staff/units/{made.id}/deactivate").status_code == 403
    assert units() == [("县住建局", "department", True)]
    auth.login("reception")
    assert client.get("/staff/units/999999").status_code == 404
    assert client.post("/staff/units/999999/deactivate").status_code == 404
    assert client.get("/staff/ledgers/units/999999").status_code == 404
