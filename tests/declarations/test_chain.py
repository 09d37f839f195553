"""The chain from the organisation tree, who may decide each step (stand-ins for a step nobody
can decide), what each decision does, and what the declarant may still do."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lms.auth.models import Role, RoleAssignment
from lms.declarations import services
from lms.declarations.models import Status
from lms.extensions import db
from lms.orgs.models import OrgKind
from lms.reviews.models import Action, Decision, ReviewState
from lms.reviews.services import AlreadyDecided, ReviewRefused
from tests.declarations.conftest import submitted
from tests.factories import make_org, make_user

APPROVE = Action.approve


def chain(declaration):
    return [(s.role, s.org.name if s.org else None) for s in declaration.review.round_steps]


def test_unit_then_department_then_district(people, declaration):
    assert chain(declaration) == [
        (Role.unit_reviewer, "威海市立医院"), (Role.department_reviewer, "威海市卫生健康委员会"),
        (Role.district_reviewer, "环翠区")]


def test_no_department_skips_its_level_and_a_city_level_unit_ends_at_the_city(orgs):
    no_department = make_org(OrgKind.unit, "环翠区社区卫生服务中心", district=orgs.district)
    city_level = make_org(OrgKind.unit, "威海市档案馆")
    for unit, expected in (
        (no_department, [(Role.unit_reviewer, "环翠区社区卫生服务中心"),
                         (Role.district_reviewer, "环翠区")]),
        (city_level, [(Role.unit_reviewer, "威海市档案馆"), (Role.city_admin, None)]),
    ):
        learner = make_user(Role.learner, unit=unit)
        assert chain(submitted(learner)) == expected


def test_the_chain_is_fixed_at_submission(people, orgs, declaration):
    other = make_org(OrgKind.department, "威海市教育局")
    orgs.unit.department = other
    db.session.flush()
    assert chain(declaration)[1] == (Role.department_reviewer, "威海市卫生健康委员会")


def test_a_reviewer_decides_only_their_own_step_in_their_scope(people, declaration):
    for outsider in (people.other_unit_reviewer, people.department_reviewer,
                     people.district_reviewer):
        with pytest.raises(ReviewRefused, match="不在您的审核范围内"):
            services.decide(outsider, declaration, APPROVE, reason=None)
    services.decide(people.unit_reviewer, declaration, APPROVE, reason=None)
    assert declaration.review.position == 1


def test_nobody_decides_their_own_declaration(people, orgs):
    reviewer_who_learns = make_user(Role.learner, unit=orgs.unit)
    reviewer_who_learns.roles.append(RoleAssignment(role=Role.unit_reviewer, org=orgs.unit))
    db.session.flush()
    own = submitted(reviewer_who_learns)
    with pytest.raises(ReviewRefused, match="不能审核本人"):
        services.decide(reviewer_who_learns, own, APPROVE, reason=None)
    # The unit still has another reviewer: the step is not vacant, nobody stands in.
    with pytest.raises(ReviewRefused):
        services.decide(people.district_reviewer, own, APPROVE, reason=None)


def test_a_step_nobody_can_decide_is_decided_above_in_its_place(people, orgs):
    lonely = make_org(OrgKind.unit, "荣成市某医院", district=orgs.district,
                      department=orgs.department)
    learner = make_user(Role.learner, unit=lonely)
    declaration = submitted(learner)
    page = services.unstaffed_units()
    assert [(unit.name, n) for unit, n in page] == [("荣成市某医院", 1)]
    assert declaration in db.session.scalars(
        services.queue(people.department_reviewer, services.QueueFilter())).all()
    assert declaration in db.session.scalars(
        services.queue(people.city_admin, services.QueueFilter())).all()
    assert declaration not in db.session.scalars(
        services.queue(people.unit_reviewer, services.QueueFilter())).all()
    decision = services.decide(people.department_reviewer, declaration, APPROVE, reason=None)
    assert decision.in_place and decision.position == 0
    assert decision.reviewer_role is Role.department_reviewer
    assert decision.step_org_name == "荣成市某医院"
    services.decide(people.department_reviewer, declaration, APPROVE, reason=None)
    services.decide(people.district_reviewer, declaration, APPROVE, reason=None)
    assert declaration.status is Status.approved and services.unstaffed_units() == []


def test_the_city_stands_in_when_no_level_above_has_anyone(orgs):
    district = make_org(OrgKind.district, "高区")
    unit = make_org(OrgKind.unit, "高区某企业", district=district)
    declaration = submitted(make_user(Role.learner, unit=unit))
    city = make_user(Role.city_admin)
    for _ in range(2):
        decision = services.decide(city, declaration, APPROVE, reason=None)
        assert decision.in_place and decision.reviewer_role is Role.city_admin
    assert declaration.status is Status.approved


def test_reject_is_final_and_return_starts_a_new_round(people):
    rejected = submitted(people.learner, title="被驳回")
    with pytest.raises(ReviewRefused, match="请填写理由"):
        services.decide(people.unit_reviewer, rejected, Action.reject, reason="  ")
    services.decide(people.unit_reviewer, rejected, Action.reject, reason="材料系伪造")
    assert rejected.status is Status.rejected and not rejected.can_edit(people.learner)
    with pytest.raises(PermissionError):
        services.submit(people.learner, rejected)

    returned = submitted(people.learner, title="被退回")
    services.decide(people.unit_reviewer, returned, APPROVE, reason=None)
    services.decide(people.department_reviewer, returned, Action.send_back, reason="补充证书")
    assert returned.status is Status.returned and returned.can_edit(people.learner)
    assert services.submit(people.learner, returned, acknowledged=True) == []
    assert returned.review.round == 2 and returned.review.position == 0
    assert chain(returned)[0] == (Role.unit_reviewer, "威海市立医院")


def test_reduced_hours_need_a_reason_and_never_exceed_the_claim(people, declaration):
    with pytest.raises(ReviewRefused, match="核定数不能超过申报数"):
        services.decide(people.unit_reviewer, declaration, APPROVE, reason="多给",
                        seconds=13 * 2700)
    with pytest.raises(ReviewRefused, match="核减须填写理由"):
        services.decide(people.unit_reviewer, declaration, APPROVE, reason=None, seconds=6 * 2700)
    services.decide(people.unit_reviewer, declaration, APPROVE, reason="只认两天", seconds=8 * 2700)
    # The next level approves what the previous approved unless it says otherwise.
    decision = services.decide(people.department_reviewer, declaration, APPROVE, reason=None)
    assert decision.amount == 8 * 2700
    services.decide(people.district_reviewer, declaration, APPROVE, reason=None)
    assert declaration.approved_seconds == 8 * 2700


def test_withdrawn_before_the_first_decision_only(people):
    early = submitted(people.learner, title="撤回")
    services.withdraw(people.learner, early)
    assert early.status is Status.withdrawn and early.can_edit(people.learner)
    late = submitted(people.learner, title="已开始")
    services.decide(people.unit_reviewer, late, APPROVE, reason=None)
    assert not late.can_withdraw(people.learner)
    with pytest.raises(PermissionError):
        services.withdraw(people.learner, late)


def test_a_decision_on_a_step_already_decided_is_told_so(people, declaration):
    services.decide(people.unit_reviewer, declaration, APPROVE, reason=None, seen=(1, 0))
    with pytest.raises(AlreadyDecided, match="已由他人处理"):
        services.decide(people.department_reviewer, declaration, Action.reject, reason="不行",
                        seen=(1, 0))


def test_batch_approve_decides_each_on_its_own(people, orgs):
    ids = [submitted(people.learner, title=f"培训{n}").id for n in range(3)]
    foreign = submitted(make_user(Role.learner, unit=orgs.other_unit), title="别的单位")
    batch = services.approve_each(people.unit_reviewer, [*ids, foreign.id, 2**31 - 1])
    assert sorted(d.id for d in batch.decided) == ids
    # Another unit's declaration, and an id of nothing, are left alone and never named.
    assert batch.skipped == [] and batch.unseen == 2
    digests = db.session.scalars(sa.select(Decision.digest)).all()
    assert len(digests) == 3 and len(set(digests)) == 3


def test_decisions_are_append_only(people, declaration):
    services.decide(people.unit_reviewer, declaration, APPROVE, reason=None)
    db.session.flush()
    for statement in ("UPDATE review_decisions SET reason = 'x'", "DELETE FROM review_decisions"):
        with pytest.raises(sa.exc.DatabaseError), db.session.begin_nested():
            db.session.execute(sa.text(statement))


def test_the_queue_filters_by_state_within_the_reviewers_scope(client, login_as, people, orgs):
    done = submitted(people.learner, title="已通过的培训")
    for reviewer in (people.unit_reviewer, people.department_reviewer, people.district_reviewer):
        services.decide(reviewer, done, APPROVE, reason=None)
    elsewhere = submitted(make_user(Role.learner, unit=orgs.other_unit), title="别的单位的培训")
    for reviewer in (people.other_unit_reviewer, people.department_reviewer):
        services.decide(reviewer, elsewhere, APPROVE, reason=None)
    login_as(people.unit_reviewer)
    page = client.get("/declarations/review?state=approved").get_data(as_text=True)
    assert "已通过的培训" in page and "别的单位的培训" not in page
    assert 'name="ids"' not in page  # nothing to approve among the approved
    waiting = client.get("/declarations/review").get_data(as_text=True)
    assert "已通过的培训" not in waiting
    in_review = services.queue(people.department_reviewer,
                               services.QueueFilter(state=ReviewState.in_review))
    assert [d.title for d in db.session.scalars(in_review)] == ["别的单位的培训"]
    assert client.get("/declarations/review?state=nonsense").status_code == 200


def test_a_batch_names_nothing_outside_the_reviewers_scope(client, login_as, people, orgs):
    foreign = submitted(make_user(Role.learner, unit=orgs.other_unit), title="别的单位的秘密")
    login_as(people.unit_reviewer)
    page = client.submit("/declarations/review/approve", {"ids": [foreign.id]},
                         follow_redirects=True).get_data(as_text=True)
    assert "别的单位的秘密" not in page and "不在您的审核范围内" in page
    assert foreign.status is Status.in_review


def test_the_city_step_of_a_city_level_unit_is_not_vacant_while_a_city_admin_exists(people):
    unit = make_org(OrgKind.unit, "威海市档案馆")
    declaration = submitted(make_user(Role.learner, unit=unit))
    unit_reviewer = make_user(Role.unit_reviewer, unit)
    services.decide(unit_reviewer, declaration, APPROVE, reason=None)
    assert declaration.review.current_step.role is Role.city_admin
    assert services.unstaffed_units() == []  # people.city_admin holds the step


def test_a_refused_final_approval_leaves_nothing_of_it_in_memory(people):
    from dataclasses import replace

    from lms.declarations.models import DeclarationType
    from lms.declarations.rules import rule_for, save_rules

    declaration = submitted(people.learner, hours=12)
    rule = rule_for(declaration.year, DeclarationType.training)
    save_rules(declaration.year, [replace(rule, max_seconds_per_year=8 * 2700)],
               people.city_admin)
    for reviewer in (people.unit_reviewer, people.department_reviewer):
        services.decide(reviewer, declaration, APPROVE, reason=None)
    with pytest.raises(ReviewRefused, match="上限"):
        services.decide(people.district_reviewer, declaration, APPROVE, reason=None)
    assert declaration.status is Status.in_review and declaration.review.position == 2
    assert declaration.approved_seconds is None


def test_a_draft_is_its_declarants_alone(client, login_as, people):
    from tests.declarations.conftest import draft

    mine = draft(people.learner)
    for reviewer in (people.unit_reviewer, people.city_admin):
        assert not mine.can_see(reviewer)
    login_as(people.unit_reviewer)
    assert client.get(f"/declarations/{mine.id}").status_code == 403
    assert client.get(f"/declarations/evidence/{mine.evidence[0].id}").status_code == 403


def test_a_duplicate_of_the_learners_own_draft_is_warned_about(people):
    from tests.declarations.conftest import draft

    draft(people.learner)
    again = draft(people.learner)
    assert any("您已申报过相同的项目（草稿）" in w for w in services.submit(people.learner, again))
