"""The city admin's page of the year's rules: placeholders said as such, saving through
``rules.save_rules`` (one audit entry), bad input refused on its field with nothing saved."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from lms.audit.models import AuditEntry
from lms.declarations import rules, services
from lms.declarations.models import DeclarationRule, DeclarationType
from lms.extensions import db

HOUR = rules.HOUR


def rules_form(**changes: Any) -> dict[str, Any]:
    """Every type: professional only, no caps but 20 学时 a year, evidence required."""
    fields: dict[str, Any] = {}
    for kind in DeclarationType:
        fields[f"{kind.value}_categories"] = ["professional"]
        fields[f"{kind.value}_per_item"] = ""
        fields[f"{kind.value}_per_day"] = ""
        fields[f"{kind.value}_per_year"] = "20"
        fields[f"{kind.value}_evidence"] = "y"
    fields.update(changes)
    return {k: v for k, v in fields.items() if v is not None}


def entries() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "declaration.rules")) or 0


def test_the_page_says_when_the_year_uses_placeholders(client, login_as, people):
    login_as(people.city_admin)
    year = services.today().year
    page = client.get("/declarations/rules").get_data(as_text=True)
    assert f"{year} 年度申报规则" in page and "暂定值" in page and "威人社字〔2022〕2号" in page
    for other in (year - 1, year + 1):
        assert f"/declarations/rules/{other}" in page
    # The placeholders are the fields' values, to correct.
    assert 'name="training_per_day"' in page and 'value="8.0"' in page
    assert client.get(f"/declarations/rules/{year + 2}").status_code == 404
    assert "申报规则" in client.get("/home").get_data(as_text=True)


def test_saving_writes_every_type_with_one_audit_entry(client, login_as, people):
    login_as(people.city_admin)
    year = services.today().year + 1
    response = client.submit(f"/declarations/rules/{year}", rules_form(
        training_categories=["professional", "public_elective"], training_per_day="7.5",
        self_study_evidence=None, achievement_per_item="30"))
    assert response.status_code == 302, response.get_data(as_text=True)
    saved = rules.rules_for(year)
    training = saved[DeclarationType.training]
    assert not training.placeholder
    assert [c.value for c in training.categories] == ["professional", "public_elective"]
    assert training.max_seconds_per_day == int(7.5 * HOUR)
    assert training.max_seconds_per_item is None
    assert training.max_seconds_per_year == 20 * HOUR
    assert saved[DeclarationType.self_study].evidence_required is False
    assert saved[DeclarationType.achievement].max_seconds_per_item == 30 * HOUR
    assert entries() == 1
    page = client.get(f"/declarations/rules/{year}").get_data(as_text=True)
    assert "已保存" in page and "暂定值" not in page and 'value="7.5"' in page
    # Last year is untouched: still the placeholders.
    assert rules.rules_for(year - 1)[DeclarationType.training].placeholder


@pytest.mark.parametrize(("field", "value", "words"), [
    ("training_per_item", "-2", "0.5 到 1000"),
    ("training_per_item", "0", "0.5 到 1000"),
    ("expert_service_per_day", "NaN", None),
    ("expert_service_per_day", "sNaN", None),
    ("self_study_per_year", "Infinity", None),
    ("self_study_per_year", "2.3", "0.5 的整数倍"),
    ("achievement_per_item", "abc", None),
    ("achievement_per_item", "1e999999", None),
    ("achievement_categories", None, "至少选择一个"),
    ("training_categories", ["nonsense"], None),
])
def test_bad_input_is_refused_on_its_field_and_nothing_is_saved(
    client, login_as, people, field, value, words
):
    login_as(people.city_admin)
    year = services.today().year
    response = client.submit(f"/declarations/rules/{year}", rules_form(**{field: value}))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'class="error"' in page and (words is None or words in page)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DeclarationRule)) == 0
    assert entries() == 0


@pytest.mark.parametrize("role", ["learner", "unit_reviewer", "district_reviewer", "exam_admin"])
def test_only_the_city_admin_sets_rules(client, login_as, people, role):
    login_as(getattr(people, role))
    assert client.get("/declarations/rules").status_code == 403
    assert client.submit("/declarations/rules", rules_form()).status_code == 403
    assert "申报规则" not in client.get("/home").get_data(as_text=True)
