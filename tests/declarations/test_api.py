"""The learner's declarations over the JSON API: their own only, newest first, with where each
stands and every decision, and no one's ID number."""

from __future__ import annotations

from typing import Any

import pytest

from lms.declarations import services
from lms.extensions import db
from lms.reviews.models import Action
from tests.conftest import make_user
from tests.declarations.conftest import draft, submitted
from tests.test_api import token_for


def reviewed(people: Any) -> Any:
    """Returned by the unit, submitted again, approved with reduced hours at every level."""
    declaration = submitted(people.learner, title="医学论文发表", hours=8)
    services.decide(people.unit_reviewer, declaration, Action.send_back, reason="证书不清晰")
    assert services.submit(people.learner, declaration, acknowledged=True) == []
    services.decide(people.unit_reviewer, declaration, Action.approve, reason="按实际核减",
                    seconds=6 * 2700)
    services.decide(people.department_reviewer, declaration, Action.approve, reason=None)
    services.decide(people.district_reviewer, declaration, Action.approve, reason=None)
    db.session.flush()
    return declaration


def test_the_learner_reads_their_declarations_with_a_token(new_client, people):
    first = draft(people.learner, title="草稿")
    waiting = submitted(people.learner, title="审核中的培训")
    done = reviewed(people)
    bot = new_client()
    headers = {"Authorization": f"Bearer {token_for(bot, people.learner)}"}
    answer = bot.get("/api/v1/declarations", headers=headers)
    assert answer.status_code == 200, answer.get_json()
    items = answer.get_json()
    assert [d["id"] for d in items] == [done.id, waiting.id, first.id]  # newest first

    assert items[2]["status"] == "draft" and items[2]["decisions"] == []
    assert items[2]["waiting_for"] is None and items[2]["approved_hours"] is None
    assert items[1]["status"] == "in_review" and items[1]["status_label"] == "审核中"
    assert items[1]["waiting_for"] == people.unit_reviewer.roles[0].org.name

    body = bot.get(f"/api/v1/declarations/{done.id}", headers=headers).get_json()
    assert body == items[0]
    assert body["type"] == "training" and body["type_label"] == "培训进修"
    assert body["category"] == "professional" and body["year"] == done.year
    assert body["start_date"] == done.start_date.isoformat()
    assert body["claimed_hours"] == "8.0" and body["approved_hours"] == "6.0"
    assert body["status"] == "approved" and body["waiting_for"] is None
    decisions = body["decisions"]
    assert [(d["round"], d["action"]) for d in decisions] == [
        (1, "return"), (2, "approve"), (2, "approve"), (2, "approve")]
    returned, unit = decisions[0], decisions[1]
    assert returned["reason"] == "证书不清晰" and returned["approved_hours"] is None
    assert returned["action_label"] == "退回修改"
    assert unit["approved_hours"] == "6.0" and unit["reason"] == "按实际核减"
    assert unit["reviewer_name"] == people.unit_reviewer.name
    assert unit["reviewer_role"] == "unit_reviewer" and unit["reviewer_role_label"]
    assert unit["level"] and unit["in_place"] is False and unit["decided_at"]
    text = answer.get_data(as_text=True)
    for person in (people.learner, people.unit_reviewer, people.department_reviewer,
                   people.district_reviewer):
        assert person.id_number not in text


def test_the_browser_login_reads_them_too(client, login_as, people):
    mine = submitted(people.learner)
    login_as(people.learner)
    assert [d["id"] for d in client.get("/api/v1/declarations").get_json()] == [mine.id]
    assert client.get(f"/api/v1/declarations/{mine.id}").get_json()["title"] == mine.title


def test_another_persons_declaration_is_refused(client, login_as, people, orgs):
    theirs = submitted(people.learner)
    colleague = make_user(people.learner.roles[0].role, unit=orgs.unit, name="钱敏")
    db.session.flush()
    login_as(colleague)
    assert client.get("/api/v1/declarations").get_json() == []
    answer = client.get(f"/api/v1/declarations/{theirs.id}")
    assert answer.status_code == 403 and answer.get_json()["error"] == "forbidden"
    assert theirs.title not in answer.get_data(as_text=True)
    missing = client.get(f"/api/v1/declarations/{theirs.id + 1000}")
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"


@pytest.mark.parametrize("role", ["unit_reviewer", "district_reviewer", "city_admin"])
def test_reviewers_are_not_served_through_it(client, login_as, people, role):
    """Reviewers see a declaration on its page; the API is the declarant's."""
    declaration = submitted(people.learner)
    login_as(getattr(people, role))
    assert client.get("/api/v1/declarations").status_code == 403
    assert client.get(f"/api/v1/declarations/{declaration.id}").status_code == 403


def test_without_login_it_is_401(new_client, people):
    declaration = submitted(people.learner)
    bot = new_client()
    assert bot.get("/api/v1/declarations").status_code == 401
    assert bot.get(f"/api/v1/declarations/{declaration.id}").status_code == 401


def test_the_openapi_document_describes_them(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/declarations" in document["paths"]
    assert "/api/v1/declarations/{declaration_id}" in document["paths"]
    schema = document["components"]["schemas"]["DeclarationView"]
    assert {"waiting_for", "decisions", "claimed_hours", "status_label"} <= set(
        schema["properties"])
    for name in ("DeclarationView", "DecisionView"):
        assert "id_number" not in str(document["components"]["schemas"][name])
