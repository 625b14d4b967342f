"""The rule numbers (settings) and the small rules on their own."""
from __future__ import annotations

import pytest

from portal import settings
from portal.errors import DomainError
from portal.evaluation import hearings, queries, rules, voting
from portal.evaluation.fields import normalise_org, public_text
from portal.extensions import db
from tests.evaluation import factories


def test_defaults_are_registered_for_administrators():
    values = settings.current_values()
    assert values[rules.MIN_PANEL.key] == 5 and values[rules.ODD_PANEL.key] is True
    assert values[rules.NOTICE_DAYS.key] == 3
    assert (values[rules.QUORUM_NUMERATOR.key], values[rules.QUORUM_DENOMINATOR.key]) == (2, 3)
    assert values[rules.PASS_RULE.key] == "half"
    assert values[rules.ALLOW_ABSTAIN.key] is False and values[rules.SECRET_BALLOT.key] is True
    assert settings.save({rules.PASS_RULE.key: "all"}) == {rules.PASS_RULE.key: "请选择列出的选项"}


@pytest.mark.parametrize("size, needed", [(5, 4), (7, 5), (9, 6), (11, 8), (3, 2)])
def test_quorum_is_two_thirds_rounded_up(size, needed):
    assert rules.quorum(size, settings.current_values()) == needed


@pytest.mark.parametrize("manyi, present, rule, result", [
    (5, 9, "half", "satisfied"), (4, 9, "half", "unsatisfied"), (4, 8, "half", "unsatisfied"),
    (5, 8, "half", "satisfied"), (6, 9, "two_thirds", "unsatisfied"),
    (7, 9, "two_thirds", "satisfied"), (5, 7, "two_thirds", "satisfied"),
])
def test_the_result_rule(manyi, present, rule, result):
    assert rules.decide(manyi, present, rule) == result


def test_an_administrator_changes_the_numbers(client, auth, clock):
    auth.login("admin", "admin-x")
    form = {key: str(value) for key, value in settings.current_values().items()}
    form.update({"eval_odd_panel": "0", "eval_min_panel": "4", "eval_pass_rule": "two_thirds"})
    page = client.get("/staff/settings")
    assert "第三方评价" in page.text and "满意票超过出席人数的三分之二" in page.text
    assert client.post("/staff/settings", data=form).status_code == 303
    assert rules.panel_size_error(4, settings.current_values()) is None
    hearing, _ = factories.noticed_hearing(n=4)
    factories.at_hearing(clock, hearing)
    factories.present(hearing)
    poll = factories.open_poll(hearing)
    assert poll.pass_rule == "two_thirds" and poll.quorum == 3
    factories.vote_all(poll, ["satisfied"] * 3 + ["unsatisfied"])  # 3 of 4 > 2/3
    closed = voting.close_poll(poll.id, factories.staff(), factories.now())
    db.session.commit()
    assert closed.result == "satisfied"


def test_the_notice_period_follows_the_setting(clock):
    settings.save({rules.NOTICE_DAYS.key: "5"})
    db.session.commit()
    hearing, _ = factories.paneled_hearing()  # 23 Nov: only 4 days after the 18th
    with pytest.raises(DomainError) as info:
        hearings.publish_notice(queries.load_hearing(hearing.id), factories.staff(), factories.now())
    assert "5 个整日" in info.value.message


def test_public_text_masks_the_petitioners_name():
    assert public_text("吴秋菊反映：秋菊家的地", "吴秋菊") == "吴某某反映：某某家的地"
    assert public_text("欧阳春晓的诉求", "欧阳春晓") == "欧阳某某的诉求"
    assert public_text("电话 13912345678 身份证 33078119700517123X", "") == "电话 **** 身份证 ****"


def test_organisations_compare_normalised():
    assert normalise_org(" 青石镇 人民政府。") == normalise_org("青石镇人民政府")
