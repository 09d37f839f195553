"""The audit record: every privileged service writes exactly one entry, in the transaction of
its action; a refused or failed action writes none; the database refuses to change or delete
an entry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import flask_login
import flask_migrate
import pytest
import sqlalchemy as sa
from flask import current_app
from werkzeug.exceptions import Forbidden

from lms.audit import services as audit
from lms.audit.models import ACTIONS, AuditEntry
from lms.audit.services import PRIVILEGED
from lms.auth.models import Role, User
from lms.courses import services as courses
from lms.courses.models import Course, CourseStatus, Video, VideoState
from lms.db import utcnow
from lms.declarations import rectification, rules
from lms.declarations import services as declarations
from lms.declarations.models import DeclarationType, RectificationOrder
from lms.declarations.workflow import WORKFLOW
from lms.exam import services as exams
from lms.exam.models import Question, QuestionBank, QuestionImport
from lms.exam.questions import Draft, QuestionType, true_false
from lms.extensions import db
from lms.orgs.models import Organisation, OrgKind
from lms.records import standing
from lms.reviews.models import Action
from lms.staff import importer
from lms.staff import services as staff
from tests.conftest import make_app
from tests.databases import fresh_database
from tests.factories import id_number
from tests.files import bombs


@dataclass
class Expect:
    """The one entry a scenario's service call must have written."""

    actor: User | None
    obj: Any
    role: Role | None
    org: Organisation | None = None
    label: str | None = None
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    address: str = "system"


@dataclass
class World:
    people: Any
    orgs: Any
    course: Course

    def ready(self, status: CourseStatus = CourseStatus.draft) -> Course:
        """The draft course with one ready video, in ``status``."""
        self.course.videos.append(Video(title="第1讲", original_filename="1.mp4", size=1,
                                        received=1, state=VideoState.ready,
                                        duration_seconds=600, rendition="r/1"))
        self.course.status = status
        db.session.flush()
        return self.course

    def bank(self, provider: Organisation | None = None, questions: int = 0) -> QuestionBank:
        """A bank made without its service, so that no entry is written before the call."""
        bank = QuestionBank(name="护理题库", provider=provider)
        db.session.add(bank)
        db.session.add_all(Question.from_draft(bank, true_false(f"判断{n}", n % 2 == 0))
                           for n in range(questions))
        db.session.flush()
        return bank


Scenario = Callable[[World, Callable[..., Any]], Expect]
#: Action code → how to call its privileged service, and what it must record.
SCENARIOS: dict[str, Scenario] = {}


def scenario(action: str) -> Callable[[Scenario], Scenario]:
    def register(function: Scenario) -> Scenario:
        SCENARIOS[action] = function
        return function

    return register


@scenario("registration.activate")
def _activate(w: World, service: Callable[..., Any]) -> Expect:
    assert service(w.people.unit_reviewer, w.people.pending)
    return Expect(w.people.unit_reviewer, w.people.pending, Role.unit_reviewer, w.orgs.unit)


@scenario("registration.reject")
def _reject(w: World, service: Callable[..., Any]) -> Expect:
    assert service(w.people.city_admin, w.people.pending, "  不是本单位  职工 ")
    return Expect(w.people.city_admin, w.people.pending, Role.city_admin, reason="不是本单位 职工")


@scenario("account.open")
def _open_account(w: World, service: Callable[..., Any]) -> Expect:
    account = service(w.people.city_admin, id_number=id_number(), name="吴审核", phone=None,
                      role=Role.department_reviewer, org=w.orgs.department)
    return Expect(w.people.city_admin, account.user, Role.city_admin,
                  details={"role": "department_reviewer", "org": w.orgs.department.name})


@scenario("account.release")
def _release(w: World, service: Callable[..., Any]) -> Expect:
    service(w.people.city_admin, w.people.learner, "冒用他人身份证号")
    return Expect(w.people.city_admin, w.people.learner, Role.city_admin,
                  reason="冒用他人身份证号")


@scenario("staff.import")
def _import(w: World, service: Callable[..., Any]) -> Expect:
    sheet = (f"身份证号,姓名,手机号\n{id_number()},张三,13800000000\n"
             f"{id_number()},李四,13900000000\n")
    check, created = service(w.people.unit_reviewer, w.orgs.unit, sheet.encode())
    assert check.ok and len(created) == 2
    return Expect(w.people.unit_reviewer, w.orgs.unit, Role.unit_reviewer, w.orgs.unit,
                  details={"count": 2})


@scenario("staff.reset_password")
def _reset(w: World, service: Callable[..., Any]) -> Expect:
    service(w.people.unit_reviewer, w.people.learner)
    return Expect(w.people.unit_reviewer, w.people.learner, Role.unit_reviewer, w.orgs.unit)


@scenario("staff.export_year")
def _export_staff_year(w: World, service: Callable[..., Any]) -> Expect:
    data = service(w.people.unit_reviewer, w.orgs.unit,
                   standing.StaffQuery(year=2024, status="incomplete"))
    assert data.startswith(b"PK")  # the workbook, with the learner's whole ID number
    return Expect(w.people.unit_reviewer, w.orgs.unit, Role.unit_reviewer, w.orgs.unit,
                  details={"year": 2024, "count": 1, "status": "incomplete"})


def _waiting_declaration(w: World) -> Any:
    from tests.declarations.conftest import submitted

    return submitted(w.people.learner)


@scenario("review.approve")
def _approve(w: World, service: Callable[..., Any]) -> Expect:
    declaration = _waiting_declaration(w)
    service(WORKFLOW, declaration, declaration.review, w.people.unit_reviewer, Action.approve,
            reason=None, when=utcnow())
    return Expect(w.people.unit_reviewer, declaration, Role.unit_reviewer, w.orgs.unit,
                  details={"workflow": "declaration", "level": "威海市立医院",
                           "in_place": False, "final": False})


@scenario("review.reject")
def _reject_declaration(w: World, service: Callable[..., Any]) -> Expect:
    declaration = _waiting_declaration(w)
    service(WORKFLOW, declaration, declaration.review, w.people.unit_reviewer, Action.reject,
            reason=" 证书系伪造 ", when=utcnow())
    return Expect(w.people.unit_reviewer, declaration, Role.unit_reviewer, w.orgs.unit,
                  reason="证书系伪造", details={"workflow": "declaration"})


@scenario("review.return")
def _return_declaration(w: World, service: Callable[..., Any]) -> Expect:
    declaration = _waiting_declaration(w)
    service(WORKFLOW, declaration, declaration.review, w.people.unit_reviewer,
            Action.send_back, reason="补充盖章证明", when=utcnow())
    return Expect(w.people.unit_reviewer, declaration, Role.unit_reviewer, w.orgs.unit,
                  reason="补充盖章证明")


@scenario("record.revoke")
def _revoke_record(w: World, service: Callable[..., Any]) -> Expect:
    declaration = _waiting_declaration(w)
    for reviewer in (w.people.unit_reviewer, w.people.department_reviewer,
                     w.people.district_reviewer):
        declarations.decide(reviewer, declaration, Action.approve, reason=None)
    before = last_id()  # the approvals wrote their own entries
    service(w.people.district_reviewer, declaration, "证书系伪造")
    assert [e.action for e in entries_after(before)] == ["record.revoke"]
    return Expect(w.people.district_reviewer, declaration, Role.district_reviewer,
                  w.orgs.district, reason="证书系伪造",
                  details={"seconds": declaration.claimed_seconds})


@scenario("declaration.rules")
def _rules(w: World, service: Callable[..., Any]) -> Expect:
    rule = rules.rule_for(2026, DeclarationType.expert_service)
    service(2026, [replace(rule, max_seconds_per_item=5 * 2700)], w.people.city_admin)
    return Expect(w.people.city_admin, None, Role.city_admin, details={"year": 2026})


@scenario("role.grant")
def _grant(w: World, service: Callable[..., Any]) -> Expect:
    service(w.people.city_admin, w.people.learner, Role.provider, w.orgs.provider)
    return Expect(w.people.city_admin, w.people.learner, Role.city_admin,
                  details={"role": "provider", "org": w.orgs.provider.name})


@scenario("role.revoke")
def _revoke(w: World, service: Callable[..., Any]) -> Expect:
    service(w.people.city_admin, w.people.provider.roles[0])
    assert not w.people.provider.roles
    return Expect(w.people.city_admin, w.people.provider, Role.city_admin,
                  details={"role": "provider", "org": w.orgs.provider.name})


@scenario("org.create")
def _org(w: World, service: Callable[..., Any]) -> Expect:
    # Organisations sit below the users: the actor is whoever the request is logged in as.
    with current_app.test_request_context(environ_base={"REMOTE_ADDR": "10.0.0.7"}):
        flask_login.login_user(w.people.city_admin)
        org = service(OrgKind.district, "荣成市")
    return Expect(w.people.city_admin, org, Role.city_admin, address="10.0.0.7",
                  details={"kind": "district"})


@scenario("course.submit")
def _submit(w: World, service: Callable[..., Any]) -> Expect:
    service(w.people.provider, w.ready())
    return Expect(w.people.provider, w.course, Role.provider, w.orgs.provider,
                  label=w.course.title)


@scenario("course.publish")
def _publish(w: World, service: Callable[..., Any]) -> Expect:
    service(w.people.city_admin, w.ready(CourseStatus.submitted))
    return Expect(w.people.city_admin, w.course, Role.city_admin, label=w.course.title)


@scenario("course.return")
def _return(w: World, service: Callable[..., Any]) -> Expect:
    service(w.people.city_admin, w.ready(CourseStatus.submitted), "  第2讲没有声音 ")
    return Expect(w.people.city_admin, w.course, Role.city_admin, label=w.course.title,
                  reason="第2讲没有声音")


@scenario("course.archive")
def _archive(w: World, service: Callable[..., Any]) -> Expect:
    service(w.people.city_admin, w.ready(CourseStatus.published))
    return Expect(w.people.city_admin, w.course, Role.city_admin, label=w.course.title)


@scenario("bank.create")
def _bank(w: World, service: Callable[..., Any]) -> Expect:
    bank = service(w.people.provider, "护理题库", provider=w.orgs.provider)
    return Expect(w.people.provider, bank, Role.provider, w.orgs.provider, label="护理题库",
                  details={"provider": w.orgs.provider.name})


@scenario("question.create")
def _create_question(w: World, service: Callable[..., Any]) -> Expect:
    bank = w.bank()
    question = service(w.people.exam_admin, bank, true_false("护士可以开具处方。", False))
    return Expect(w.people.exam_admin, question, Role.exam_admin, label="护士可以开具处方。",
                  details={"bank": "护理题库"})


@scenario("question.edit")
def _edit_question(w: World, service: Callable[..., Any]) -> Expect:
    bank = w.bank(w.orgs.provider, questions=1)
    question = db.session.scalars(exams.questions(bank)).one()
    service(w.people.provider, bank, Draft(QuestionType.single, "高血压的诊断标准是？",
                                           ("120 mmHg", "140 mmHg"), frozenset({1})), question)
    return Expect(w.people.provider, question, Role.provider, w.orgs.provider,
                  label="高血压的诊断标准是？", details={"bank": "护理题库"})


@scenario("question.retire")
def _retire(w: World, service: Callable[..., Any]) -> Expect:
    question = db.session.scalars(exams.questions(w.bank(questions=1))).one()
    service(w.people.exam_admin, question, True)
    return Expect(w.people.exam_admin, question, Role.exam_admin, label="判断0")


@scenario("question.restore")
def _restore(w: World, service: Callable[..., Any]) -> Expect:
    question = db.session.scalars(exams.questions(w.bank(questions=1))).one()
    question.retired_at = utcnow()
    service(w.people.exam_admin, question, False)
    return Expect(w.people.exam_admin, question, Role.exam_admin, label="判断0")


@scenario("questions.import")
def _import_questions(w: World, service: Callable[..., Any]) -> Expect:
    bank = w.bank()
    pending = QuestionImport(bank=bank, user_id=w.people.exam_admin.id, filename="题目.gift",
                             format="gift", data="题一 {T}\n\n题二 {F}\n".encode())
    db.session.add(pending)
    db.session.flush()
    service(w.people.exam_admin, pending.id)
    return Expect(w.people.exam_admin, bank, Role.exam_admin, label="护理题库",
                  details={"count": 2, "file": "题目.gift"})


@scenario("exam.settings")
def _exam(w: World, service: Callable[..., Any]) -> Expect:
    bank = w.bank(questions=5)
    service(w.people.provider, w.course, exams.ExamFields(
        [bank.id], [], {QuestionType.true_false: (5, Decimal(20))}, pass_mark=Decimal(80)))
    return Expect(w.people.provider, w.course, Role.provider, w.orgs.provider,
                  label=w.course.title)


def _order(w: World) -> RectificationOrder:
    """A standing order on the unit, made without its service (which writes an entry)."""
    order = RectificationOrder(org=w.orgs.unit, reason="审核把关不严",
                               deadline=utcnow().date() + timedelta(days=30), issued_at=utcnow(),
                               issued_by_id=w.people.city_admin.id)
    db.session.add(order)
    db.session.flush()
    return order


@scenario("rectification.order")
def _rectification_order(w: World, service: Callable[..., Any]) -> Expect:
    order = service(w.people.city_admin, w.orgs.unit, " 审核把关不严 ",
                    utcnow().date() + timedelta(days=30))
    return Expect(w.people.city_admin, order, Role.city_admin, label="威海市立医院",
                  reason="审核把关不严", details={"org": "威海市立医院", "rejected": []})


@scenario("rectification.report")
def _rectification_report(w: World, service: Callable[..., Any]) -> Expect:
    order = _order(w)
    service(w.people.unit_reviewer, order, ("整改报告.pdf", bombs.pdf()))
    return Expect(w.people.unit_reviewer, order, Role.unit_reviewer, w.orgs.unit,
                  details={"file": "整改报告.pdf"})


@scenario("rectification.lift")
def _rectification_lift(w: World, service: Callable[..., Any]) -> Expect:
    order = _order(w)
    service(w.people.city_admin, order)
    return Expect(w.people.city_admin, order, Role.city_admin, details={"reported": False})


def entries_after(last: int) -> list[AuditEntry]:
    return list(db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.id > last).order_by(AuditEntry.id)))


def last_id() -> int:
    return db.session.scalar(sa.select(sa.func.max(AuditEntry.id))) or 0


def test_every_privileged_service_has_a_scenario_and_every_scenario_a_service(app):
    """A new privileged service fails here until a scenario below calls it (and an action with
    a label but no service, or a scenario for a service that is gone, fails too)."""
    assert set(PRIVILEGED) == set(SCENARIOS) == set(ACTIONS)


@pytest.mark.parametrize("action", sorted(SCENARIOS))
def test_each_privileged_service_writes_exactly_one_entry(action, app, people, orgs, course):
    before = last_id()
    expect = SCENARIOS[action](World(people, orgs, course), PRIVILEGED[action])

    entry = entries_after(before)[-1]  # a scenario making its subject first may write more
    assert entry.action == action
    assert entry.at is not None and abs(entry.at - utcnow()) < timedelta(minutes=1)
    assert (entry.actor_id, entry.actor_name) == (expect.actor.id, expect.actor.name)
    assert entry.actor_role == expect.role.value
    assert entry.actor_role_label == {Role.city_admin: "市人社局管理员",
                                      Role.unit_reviewer: "单位审核员",
                                      Role.provider: "培训机构管理员",
                                      Role.exam_admin: "题库管理员",
                                      Role.district_reviewer: "区市人社局审核员"}[expect.role]
    org = expect.org
    assert (entry.actor_org_id, entry.actor_org_name) == ((org.id, org.name) if org else
                                                          (None, None))
    if expect.obj is None:  # an action on no one object (a year's rules)
        assert (entry.object_type, entry.object_id, entry.object_label) == (None, None, None)
    else:
        assert (entry.object_type, entry.object_id) == (expect.obj.__tablename__,
                                                        expect.obj.id)
        assert entry.object_label == (expect.label or audit.label_of(expect.obj))
    assert entry.reason == expect.reason
    assert expect.details.items() <= (entry.details or {}).items()
    assert entry.client_address == expect.address
    # Nobody's ID number is kept whole, wherever it would be.
    for person in vars(people).values():
        assert person.id_number not in repr(vars(entry))


def test_an_entry_about_a_person_masks_their_id_number(people):
    entry = audit.record(people.city_admin, "staff.reset_password", people.learner,
                         acting_as=[Role.city_admin],
                         reason=f"本人来电（{people.learner.id_number}）", details={
                             "note": [people.learner.id_number.lower()]})
    masked = people.learner.masked_id_number
    assert entry.object_label == f"张伟（{masked}）"
    assert entry.reason == f"本人来电（{masked}）" and entry.details == {"note": [masked]}


def test_an_exam_saved_again_records_what_changed(people, course):
    bank = World(people, None, course).bank(questions=5)
    fields = exams.ExamFields([bank.id], [], {QuestionType.true_false: (5, Decimal(20))})
    exams.save_exam(people.exam_admin, course, fields)
    before = last_id()
    exams.save_exam(people.exam_admin, course, exams.ExamFields(
        fields.banks, [], fields.counts, pass_mark=Decimal(80), minutes=45))
    [entry] = entries_after(before)
    assert entry.details == {"changed": {"pass_mark": ["60", "80"], "minutes": [60, 45]}}


# --- what is refused or fails writes nothing ----------------------------------------------


def refusals(w: World) -> list[tuple[str, Callable[[], Any], type[Exception] | None]]:
    p, o = w.people, w.orgs
    draft = w.ready()
    return [
        # Not theirs to do.
        ("publish by a provider", lambda: courses.publish(p.provider, draft), Forbidden),
        ("submit by another provider", lambda: courses.submit(p.other_provider, draft),
         Forbidden),
        ("reset by another unit's reviewer",
         lambda: staff.reset_password(p.other_unit_reviewer, p.learner), Forbidden),
        ("grant by a reviewer",
         lambda: staff.grant_role(p.unit_reviewer, p.learner, Role.exam_admin, None), Forbidden),
        ("release by a reviewer",
         lambda: staff.release_id_number(p.unit_reviewer, p.learner, "冒用"), Forbidden),
        ("release without a reason",
         lambda: staff.release_id_number(p.city_admin, p.learner, " "), ValueError),
        ("reject without a reason",
         lambda: staff.reject(p.unit_reviewer, p.pending, ""), ValueError),
        ("activate by another unit's reviewer",
         lambda: staff.activate(p.other_unit_reviewer, p.pending), Forbidden),
        ("a provider's bank for another provider",
         lambda: exams.create_bank(p.provider, "题库", provider=o.other_provider), Forbidden),
        ("export another unit's staff",
         lambda: standing.export_staff(p.other_unit_reviewer, o.unit,
                                       standing.StaffQuery(year=2024)), Forbidden),
        ("export by a supervising department",
         lambda: standing.export_staff(p.department_reviewer, o.unit,
                                       standing.StaffQuery(year=2024)), Forbidden),
        ("import to another unit",
         lambda: importer.import_staff(p.unit_reviewer, o.other_unit, b"x"), Forbidden),
        ("a department ordered by a district",
         lambda: rectification.issue(p.district_reviewer, o.department, "原因",
                                     utcnow().date() + timedelta(days=1)), PermissionError),
        ("a report by another unit's reviewer",
         lambda: rectification.report(p.other_unit_reviewer, _order(w), ("a.pdf", b"")),
         PermissionError),
        ("a report that is no PDF",
         lambda: rectification.report(p.unit_reviewer, _order(w), ("a.pdf", b"MZ" * 50)),
         rectification.Invalid),
        # Not possible in the state things are in.
        ("publish a draft", lambda: courses.publish(p.city_admin, draft), courses.CourseError),
        ("archive a draft", lambda: courses.archive(p.city_admin, draft), courses.CourseError),
        ("return a draft", lambda: courses.return_to_draft(p.city_admin, draft, "原因"),
         courses.CourseError),
        ("revoke one's own city admin role",
         lambda: staff.revoke_role(p.city_admin, p.city_admin.roles[0]), ValueError),
        ("a role without its organisation",
         lambda: staff.grant_role(p.city_admin, p.learner, Role.provider, None), ValueError),
        ("a malformed question",
         lambda: exams.save_question(p.exam_admin, w.bank(), Draft(
             QuestionType.single, "", ("甲",), frozenset())), exams.QuestionRefused),
        ("an expired import", lambda: exams.confirm_import(p.exam_admin, 10**9),
         exams.ImportExpired),
        # Refused with reasons, nothing raised.
        ("a sheet with a bad row",
         lambda: _nothing_imported(importer.import_staff(
             p.unit_reviewer, o.unit, "身份证号,姓名,手机号\n123,张三,1\n".encode())), None),
        ("a pending registration already activated",
         lambda: staff.activate(p.unit_reviewer, p.learner) and pytest.fail("activated"), None),
    ]


def _nothing_imported(result: tuple[importer.SheetCheck, list[Any]]) -> None:
    check, created = result
    assert check.errors and not created


def test_a_refused_or_impossible_action_writes_nothing(people, orgs, course):
    world = World(people, orgs, course)
    for name, attempt, error in refusals(world):
        before = last_id()
        if error is None:
            attempt()
        else:
            with pytest.raises(error), db.session.begin_nested():
                attempt()
        assert entries_after(before) == [], name


def test_doing_nothing_again_writes_nothing(people, orgs, course):
    """Repeated clicks: an activation already done, a role already held, an import already
    confirmed, a question already retired."""
    staff.activate(people.unit_reviewer, people.pending)
    staff.grant_role(people.city_admin, people.learner, Role.exam_admin, None)
    bank = World(people, orgs, course).bank(questions=1)
    question = db.session.scalars(exams.questions(bank)).one()
    exams.set_retired(people.exam_admin, question, True)
    pending = QuestionImport(bank=bank, user_id=people.exam_admin.id, filename="a.gift",
                             format="gift", data=b"T {T}")
    db.session.add(pending)
    db.session.flush()
    exams.confirm_import(people.exam_admin, pending.id)
    before = last_id()

    assert not staff.activate(people.unit_reviewer, people.pending)
    staff.grant_role(people.city_admin, people.learner, Role.exam_admin, None)
    exams.set_retired(people.exam_admin, question, True)
    assert exams.confirm_import(people.exam_admin, pending.id).imported == 1
    assert entries_after(before) == []


def test_the_entry_is_rolled_back_with_its_action(people, orgs, course):
    submitted = World(people, orgs, course).ready(CourseStatus.submitted)
    before = last_id()
    nested = db.session.begin_nested()
    courses.publish(people.city_admin, submitted)
    assert [e.action for e in entries_after(before)] == ["course.publish"]
    nested.rollback()
    db.session.expire_all()
    assert submitted.status is CourseStatus.submitted
    assert entries_after(before) == []


def test_an_action_is_kept_only_with_its_entry(people, orgs, course):
    """Were the entry refused, the action would go with it: one transaction for both."""
    submitted = World(people, orgs, course).ready(CourseStatus.submitted)
    db.session.commit()
    with pytest.raises(ValueError, match="unknown audit action"), db.session.begin_nested():
        submitted.status = CourseStatus.published
        db.session.flush()
        audit.record(people.city_admin, "course.fly")
    db.session.expire_all()
    assert submitted.status is CourseStatus.submitted


def test_commands_are_recorded_without_an_actor(app, orgs):
    before = last_id()
    result = app.test_cli_runner().invoke(
        args=["user", "create", id_number(), "王审核", "--role", "unit_reviewer",
              "--org", orgs.unit.name])
    assert result.exit_code == 0, result.output
    [entry] = entries_after(before)
    assert entry.action == "account.open" and entry.client_address == "cli"
    assert entry.actor_id is None and entry.actor_name is None and entry.actor_role is None
    assert entry.details["role"] == "unit_reviewer" and entry.details["org"] == orgs.unit.name

    result = app.test_cli_runner().invoke(args=["org", "create", "district", "乳山市"])
    assert result.exit_code == 0, result.output
    assert [(e.action, e.object_label, e.actor_id) for e in entries_after(before)][1:] == [
        ("org.create", "乳山市", None)]


def test_an_admin_creating_an_organisation_on_its_page_is_recorded(client, people, login_as):
    login_as(people.city_admin)
    before = last_id()
    response = client.submit("/staff/organisations", {
        "kind": "district", "name": "荣成市", "code": "", "district_id": 0, "department_id": 0})
    assert response.status_code == 302
    [entry] = entries_after(before)
    assert (entry.action, entry.actor_id, entry.object_label) == (
        "org.create", people.city_admin.id, "荣成市")
    assert entry.client_address == "127.0.0.1"


# --- append-only ----------------------------------------------------------------------------


def refused(statement: str) -> None:
    with pytest.raises(sa.exc.IntegrityError, match="append-only"), db.session.begin_nested():
        db.session.execute(sa.text(statement))


def test_the_database_refuses_to_change_or_delete_an_entry(people):
    entry = audit.record(people.city_admin, "role.grant", people.learner,
                         acting_as=[Role.city_admin], reason="原因")
    db.session.commit()
    refused(f"UPDATE audit_entries SET reason = '改写' WHERE id = {entry.id}")
    refused("UPDATE audit_entries SET actor_name = '别人'")
    refused(f"DELETE FROM audit_entries WHERE id = {entry.id}")
    refused("DELETE FROM audit_entries")
    if db.session.get_bind().dialect.name == "sqlite":  # a delete that fires no delete trigger
        refused(f"INSERT OR REPLACE INTO audit_entries (id, at, action, client_address)"
                f" VALUES ({entry.id}, CURRENT_TIMESTAMP, 'org.create', 'system')")
        refused(f"REPLACE INTO audit_entries (id, at, action, client_address)"
                f" VALUES ({entry.id}, CURRENT_TIMESTAMP, 'org.create', 'system')")
    if db.session.get_bind().dialect.name == "postgresql":
        refused("TRUNCATE audit_entries")
        refused("DELETE FROM audit_entries WHERE false")  # refused per statement
    with pytest.raises(sa.exc.IntegrityError, match="append-only"), db.session.begin_nested():
        entry.reason = "改写"
        db.session.flush()
    db.session.expire_all()
    assert (entry.reason, entry.actor_name) == ("原因", "孙丽")


def test_a_schema_built_from_the_models_is_append_only_too(tmp_path):
    with fresh_database("models", tmp_path) as url:
        app = make_app(url)
        with app.app_context():
            db.create_all()
            with db.engine.begin() as connection:
                connection.execute(sa.text(
                    "INSERT INTO audit_entries (at, action, client_address)"
                    " VALUES (CURRENT_TIMESTAMP, 'org.create', 'system')"))
            for statement in ("UPDATE audit_entries SET action = 'x'", "DELETE FROM audit_entries"):
                with (pytest.raises(sa.exc.IntegrityError, match="append-only"),
                      db.engine.begin() as connection):
                    connection.execute(sa.text(statement))
            with db.engine.connect() as connection:
                assert connection.scalar(sa.text("SELECT count(*) FROM audit_entries")) == 1
            db.engine.dispose()


def test_the_migration_adds_the_guard_and_takes_it_away(tmp_path):
    with fresh_database("audit_migration", tmp_path) as url:
        app = make_app(url)
        with app.app_context():
            flask_migrate.upgrade()
            triggers = {
                "sqlite": "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"
                          " AND name LIKE 'audit_entries%'",
                "postgresql": "SELECT (SELECT count(*) FROM pg_trigger"
                              "        WHERE tgname LIKE 'audit_entries%')"
                              " + (SELECT count(*) FROM pg_proc"
                              "    WHERE proname = 'audit_entries_refuse')",
            }[db.engine.dialect.name]
            with db.engine.connect() as connection:
                assert connection.scalar(sa.text(triggers)) == 3
            with db.engine.begin() as connection:
                connection.execute(sa.text(
                    "INSERT INTO audit_entries (id, at, action, client_address)"
                    " VALUES (1, CURRENT_TIMESTAMP, 'org.create', 'system')"))
            changes = ["UPDATE audit_entries SET action = 'x'", "DELETE FROM audit_entries"]
            if db.engine.dialect.name == "sqlite":
                changes.append("INSERT OR REPLACE INTO audit_entries (id, at, action,"
                               " client_address) VALUES (1, CURRENT_TIMESTAMP, 'x', 'system')")
            for statement in changes:
                with (pytest.raises(sa.exc.IntegrityError, match="append-only"),
                      db.engine.begin() as connection):
                    connection.execute(sa.text(statement))
            with db.engine.connect() as connection:
                kept = connection.scalar(sa.text("SELECT action FROM audit_entries"))
            assert kept == "org.create"
            flask_migrate.downgrade(revision="0007")
            with db.engine.connect() as connection:
                assert connection.scalar(sa.text(triggers)) == 0
            db.engine.dispose()
