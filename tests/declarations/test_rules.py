"""What a declaration may claim, checked at submission against the year's rules, the dates and
the cut-off; duplicates warned about before submission."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from lms.courses.models import Category
from lms.declarations import services
from lms.declarations.models import DeclarationType, Status
from lms.declarations.rules import HOUR, cutoff, rule_for, rules_for, save_rules
from lms.records import services as records
from lms.records.models import Source
from tests.declarations.conftest import draft, submitted


def problems_of(declaration):
    return services.problems(declaration)


def test_placeholders_are_professional_only_and_marked(app, database):
    rules = rules_for(2026)
    assert all(rule.placeholder for rule in rules.values())
    assert all(rule.categories == (Category.professional,) for rule in rules.values())
    assert rules[DeclarationType.training].max_seconds_per_day == 8 * HOUR


def test_a_claim_over_the_daily_cap_names_it(people):
    declaration = draft(people.learner, hours=25, days=3)  # 3 days: at most 24
    assert "每天最多 8.0 学时，3 天最多 24.0 学时" in problems_of(declaration)["hours"]
    assert "hours" not in problems_of(draft(people.learner, hours=24, days=3))


def test_a_claim_over_the_item_cap_names_it(people):
    declaration = draft(people.learner, hours=10.5, kind=DeclarationType.expert_service)
    assert "每项最多 10.0 学时" in problems_of(declaration)["hours"]


def test_a_category_the_type_does_not_allow_is_refused(people):
    declaration = draft(people.learner, category=Category.public_compulsory)
    assert "只能计入：专业科目" in problems_of(declaration)["category"]
    year = declaration.year
    rule = rule_for(year, DeclarationType.training)
    save_rules(year, [replace(rule, categories=(Category.professional,
                                                Category.public_compulsory))], people.city_admin)
    assert "category" not in problems_of(declaration)


def test_evidence_is_required_where_the_rule_says(people):
    declaration = draft(people.learner, files=0)
    assert "须上传证明材料" in problems_of(declaration)["evidence"]
    rule = rule_for(declaration.year, DeclarationType.training)
    save_rules(declaration.year, [replace(rule, evidence_required=False)], people.city_admin)
    assert "evidence" not in problems_of(declaration)


def test_the_yearly_cap_counts_what_was_approved_before(people):
    year_end = services.today() - timedelta(days=2)
    rule = rule_for(year_end.year, DeclarationType.self_study)  # 20 per item, 40 a year
    first = submitted(people.learner, hours=20, kind=DeclarationType.self_study, end=year_end,
                      title="自学考试一")
    second = submitted(people.learner, hours=20, kind=DeclarationType.self_study, end=year_end,
                       title="自学考试二")
    for reviewer in (people.unit_reviewer, people.department_reviewer, people.district_reviewer):
        services.decide(reviewer, first, services.Action.approve, reason=None)
        services.decide(reviewer, second, services.Action.approve, reason=None)
    assert second.status is Status.approved and rule.max_seconds_per_year == 40 * HOUR
    third = draft(people.learner, hours=0.5, kind=DeclarationType.self_study, end=year_end,
                  title="自学考试三")
    assert "每人每年最多 40.0 学时，本年度已核定 40.0 学时" in problems_of(third)["hours"]


def test_revoked_hours_no_longer_count_toward_the_cap(people):
    end = services.today() - timedelta(days=2)
    done = submitted(people.learner, hours=20, kind=DeclarationType.self_study, end=end)
    for reviewer in (people.unit_reviewer, people.department_reviewer, people.district_reviewer):
        services.decide(reviewer, done, services.Action.approve, reason=None)
    services.revoke(people.district_reviewer, done, "证书系伪造")
    assert records.year(people.learner, end.year).total.seconds == 0
    again = draft(people.learner, hours=20, kind=DeclarationType.self_study, end=end,
                  title="另一门自学考试")
    assert "hours" not in problems_of(again)


def test_an_end_date_in_the_future_is_refused(people):
    with pytest.raises(services.Invalid) as refused:
        draft(people.learner, end=services.today() + timedelta(days=1))
    assert "结束日期不能晚于今天" in refused.value.errors["end_date"]


def test_a_year_is_declared_until_its_cutoff(app, people, monkeypatch):
    monkeypatch.setitem(app.extensions, "clock", lambda: datetime(2027, 1, 5, 2, tzinfo=UTC))
    declaration = draft(people.learner, end=date(2026, 12, 20), days=1, hours=8)
    assert cutoff(2026) == date(2027, 1, 31)
    monkeypatch.setitem(app.extensions, "clock", lambda: datetime(2027, 1, 31, 15, tzinfo=UTC))
    assert "end_date" not in problems_of(declaration)  # 23:00 on 31 January in Weihai
    monkeypatch.setitem(app.extensions, "clock", lambda: datetime(2027, 1, 31, 16, tzinfo=UTC))
    assert "2026 年度的学时申报已于 2027-01-31 截止" in problems_of(declaration)["end_date"]


def test_approval_after_new_year_counts_for_the_declared_year(app, people, monkeypatch):
    monkeypatch.setitem(app.extensions, "clock", lambda: datetime(2026, 12, 28, 2, tzinfo=UTC))
    declaration = submitted(people.learner, end=date(2026, 12, 20), days=1, hours=8)
    monkeypatch.setitem(app.extensions, "clock", lambda: datetime(2027, 1, 10, 2, tzinfo=UTC))
    for reviewer in (people.unit_reviewer, people.department_reviewer, people.district_reviewer):
        services.decide(reviewer, declaration, services.Action.approve, reason=None)
    record = services.credited_record(declaration)
    assert record is not None and record.year == 2026 and record.credited_at.year == 2027


def test_the_learners_own_duplicate_is_warned_about(people):
    submitted(people.learner)
    again = draft(people.learner)
    warnings = services.submit(people.learner, again)
    assert again.status is Status.draft
    assert any("您已申报过相同的项目" in w for w in warnings)
    assert services.submit(people.learner, again, acknowledged=True) == []
    assert again.status is Status.in_review


def test_an_online_course_already_credited_is_warned_about(people):
    declaration = draft(people.learner, title="医患沟通技巧")
    records.credit(people.learner.id, title="医患沟通技巧", category=Category.professional,
                   seconds=2700, year=declaration.year, source=Source.online_course,
                   when=datetime.now(UTC))
    warnings = services.submit(people.learner, declaration)
    assert any("市平台已同步的学时无需重复申报" in w for w in warnings)


def test_the_form_shows_the_rule_that_applies(client, login_as, people):
    login_as(people.learner)
    page = client.get("/declarations/new").get_data(as_text=True)
    assert "每天最多 8.0 学时" in page and "暂定规则" in page
