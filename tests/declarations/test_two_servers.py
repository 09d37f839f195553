"""Two app servers on one database (PostgreSQL in CI) receiving decisions at the same moment:
two reviewers deciding one declaration make exactly one decision, and two approvals racing past
a yearly cap cannot both pass it."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import flask_migrate
import pytest
import sqlalchemy as sa

from lms.auth.models import Role, User
from lms.declarations import services, workflow
from lms.declarations.models import Declaration, DeclarationType, Status
from lms.declarations.rules import HOUR, rule_for, save_rules
from lms.extensions import db
from lms.orgs.models import OrgKind
from lms.records.models import LearningRecord
from lms.reviews.models import Action, Decision
from tests.conftest import make_app
from tests.databases import fresh_database
from tests.declarations.conftest import submitted
from tests.factories import PASSWORD, make_org, make_user
from tests.servers import Browser, Server, at_once


@pytest.fixture
def world(tmp_path) -> Iterator[Any]:
    with fresh_database("decisions", tmp_path) as url:
        apps = [make_app(url, MEDIA_ROOT=tmp_path / "media") for _ in range(2)]
        with apps[0].app_context():
            flask_migrate.upgrade()
            district = make_org(OrgKind.district, "环翠区")
            department = make_org(OrgKind.department, "卫健委")
            unit = make_org(OrgKind.unit, "医院", district=district, department=department)
            people = {
                "learner": make_user(Role.learner, unit=unit, name="张伟"),
                "unit": [make_user(Role.unit_reviewer, unit, name=f"单位审核员{n}")
                         for n in range(2)],
                "department": make_user(Role.department_reviewer, department, name="主管部门"),
                "district": [make_user(Role.district_reviewer, district, name=f"区审核员{n}")
                             for n in range(2)],
            }
            ids = {k: [u.id for u in v] if isinstance(v, list) else v.id
                   for k, v in people.items()}
            numbers = {k: [u.id_number for u in v] if isinstance(v, list) else v.id_number
                       for k, v in people.items()}
            db.session.commit()
        servers = [Server(app) for app in apps]
        try:
            yield type("World", (), {"apps": apps, "servers": servers, "ids": ids,
                                     "numbers": numbers})
        finally:
            for server in servers:
                server.stop()


def within(world: Any, work: Any) -> Any:
    with world.apps[0].app_context():
        try:
            result = work()
            db.session.commit()
            return result
        finally:
            db.session.remove()


def test_two_reviewers_deciding_one_declaration_make_one_decision(world):
    declaration_id = within(world, lambda: submitted(
        db.session.get(User, world.ids["learner"])).id)
    reviewers = [Browser(world.apps[0], number, PASSWORD) for number in world.numbers["unit"]]
    path = f"/declarations/{declaration_id}/decide"
    shown = {"round": "1", "position": "0"}  # what the page showed both of them
    results = at_once(
        lambda: reviewers[0].post(world.servers[0], path, {"action": "approve", **shown}),
        lambda: reviewers[1].post(world.servers[1], path, {"action": "reject", **shown,
                                                           "reason": "材料不全"}),
    )
    statuses = sorted(status for status, _ in results)
    assert statuses == [302, 400], results
    told = next(body for status, body in results if status == 400)
    assert "已由他人处理" in told or "不在审核中" in told

    def state() -> tuple[list[Decision], Declaration]:
        decisions = list(db.session.scalars(sa.select(Decision)))
        return decisions, db.session.get(Declaration, declaration_id)

    with world.apps[0].app_context():
        decisions, declaration = state()
        assert len(decisions) == 1
        # The declaration moved as the one decision says, and no further.
        if decisions[0].action is Action.approve:
            assert declaration.status is Status.in_review and declaration.review.position == 1
        else:
            assert declaration.status is Status.rejected
        db.session.remove()


def test_two_approvals_racing_past_the_yearly_cap_credit_one(world, monkeypatch):
    """Each approval, once it holds what it holds, waits (up to 2 s) for the other to arrive
    before reading the year's total: without the lock on the declarant both would read 0 and
    both pass the cap; with it the second waits for the first to commit."""
    def prepare() -> list[int]:
        learner = db.session.get(User, world.ids["learner"])
        end = services.today() - timedelta(days=3)
        year = end.year
        rule = rule_for(year, DeclarationType.training)
        from dataclasses import replace

        save_rules(year, [replace(rule, max_seconds_per_day=8 * HOUR,
                                  max_seconds_per_year=60 * HOUR, max_seconds_per_item=None)],
                   None)
        made = [submitted(learner, hours=40, title=f"培训{n}", end=end, days=5)
                for n in range(2)]
        unit = db.session.get(User, world.ids["unit"][0])
        department = db.session.get(User, world.ids["department"])
        for declaration in made:
            services.decide(unit, declaration, Action.approve, reason=None)
            services.decide(department, declaration, Action.approve, reason=None)
        return [d.id for d in made]

    first, second = within(world, prepare)
    reviewers = [Browser(world.apps[0], n, PASSWORD) for n in world.numbers["district"]]
    together = threading.Barrier(2, timeout=2)

    def rule_when_both_arrived(*args: Any) -> Any:
        with contextlib.suppress(threading.BrokenBarrierError):
            together.wait()  # else the other is held back (by the lock): go on alone
        return rule_for(*args)

    monkeypatch.setattr(workflow, "rule_for", rule_when_both_arrived)
    results = at_once(
        lambda: reviewers[0].post(world.servers[0], f"/declarations/{first}/decide",
                                  {"action": "approve"}),
        lambda: reviewers[1].post(world.servers[1], f"/declarations/{second}/decide",
                                  {"action": "approve"}),
    )
    assert sorted(status for status, _ in results) == [302, 400], results
    refused = next(body for status, body in results if status == 400)
    assert "上限" in refused and "60.0" in refused

    with world.apps[0].app_context():
        credited = db.session.scalars(sa.select(LearningRecord)).all()
        assert [r.seconds for r in credited] == [40 * HOUR]
        statuses = sorted(db.session.get(Declaration, i).status.value for i in (first, second))
        assert statuses == ["approved", "in_review"]
        db.session.remove()
