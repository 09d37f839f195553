"""What may change depends on the course's state (issue 12, item 3; rules §3, §5): the provider
changes a course's exam, and the questions of a bank its exam draws from, while the course is a
draft or returned; once submitted only the city's exam admins can, and each change is recorded."""

import io
from decimal import Decimal

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import Forbidden

from lms.audit.models import AuditEntry
from lms.courses.models import Category, CourseStatus
from lms.exam import services
from lms.exam.models import CourseExam, Question, QuestionImport
from lms.exam.questions import QuestionType, true_false
from lms.extensions import db

#: A one-question paper anyone passes: what a provider must not make of a published exam.
RIGGED = {"banks": None, "tags": "", "single_count": "0", "single_points": "1",
          "multiple_count": "0", "multiple_points": "1", "true_false_count": "1",
          "true_false_points": "1", "pass_mark": "1", "minutes": "30",
          "show_after": "answers_after_pass"}
LOCKED = "考试设置只能由市题库管理员修改"


@pytest.fixture
def bank(people, orgs):
    """The provider's own bank of 12 true/false questions."""
    bank = services.create_bank(people.provider, "护理题库", provider=orgs.provider)
    db.session.add_all(Question.from_draft(bank, true_false(f"判断{n}", n % 2 == 0))
                       for n in range(12))
    db.session.commit()
    return bank


@pytest.fixture
def examined(course, people, bank):
    """The provider's public course with an exam of 10 questions, pass mark 60."""
    course.category = Category.public_compulsory
    services.save_exam(people.provider, course, services.ExamFields(
        [bank.id], [], {QuestionType.true_false: (10, Decimal(10))}))
    db.session.commit()
    return course


def entries(action):
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)))


def in_state(course, status):
    course.status = CourseStatus(status)
    db.session.commit()
    return course


def test_the_provider_sets_the_exam_of_a_returned_course(client, login_as, people, course, bank):
    in_state(course, "returned")
    login_as(people.provider)
    page = client.get(f"/exam/courses/{course.id}").get_data(as_text=True)
    assert LOCKED not in page
    saved = client.submit(f"/exam/courses/{course.id}", {**RIGGED, "banks": bank.id})
    assert saved.status_code == 302
    exam = db.session.get(CourseExam, course.id)
    assert exam.pass_mark == Decimal(1) and exam.total == Decimal(1)
    assert len(entries("exam.settings")) == 1


@pytest.mark.parametrize("status", ["submitted", "published", "archived"])
def test_once_submitted_the_provider_cannot_rewrite_the_exam(client, login_as, people, examined,
                                                             bank, status):
    login_as(people.provider)
    fair = {**RIGGED, "banks": bank.id, "true_false_count": "10", "true_false_points": "10",
            "pass_mark": "60", "minutes": "45"}
    assert client.submit(f"/exam/courses/{examined.id}", fair).status_code == 302  # a draft
    in_state(examined, status)
    before = len(entries("exam.settings"))
    page = client.get(f"/exam/courses/{examined.id}")
    assert page.status_code == 200  # still shown, for reading
    assert LOCKED in page.get_data(as_text=True) and "<fieldset disabled>" in page.get_data(
        as_text=True)
    refused = client.submit(f"/exam/courses/{examined.id}", {**RIGGED, "banks": bank.id})
    assert refused.status_code == 403
    assert LOCKED in refused.get_data(as_text=True)
    db.session.expire_all()
    exam = db.session.get(CourseExam, examined.id)
    assert (exam.pass_mark, exam.total) == (Decimal(60), Decimal(100))
    assert len(entries("exam.settings")) == before
    with pytest.raises(Forbidden):
        services.save_exam(people.provider, examined, services.ExamFields(
            [bank.id], [], {QuestionType.true_false: (1, Decimal(1))}, pass_mark=Decimal(1)))


def test_nor_can_the_city_admin_but_the_exam_admin_can_and_it_is_recorded(
    client, new_client, login_as, people, examined, bank
):
    in_state(examined, "published")
    admin = login_as(people.city_admin, browser=new_client())
    assert admin.submit(f"/exam/courses/{examined.id}",
                        {**RIGGED, "banks": bank.id}).status_code == 403
    before = len(entries("exam.settings"))
    login_as(people.exam_admin)
    saved = client.submit(f"/exam/courses/{examined.id}",
                          {**RIGGED, "banks": bank.id, "true_false_count": "10",
                           "true_false_points": "10", "pass_mark": "80"})
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(CourseExam, examined.id).pass_mark == Decimal(80)
    written = entries("exam.settings")
    assert len(written) == before + 1
    assert written[-1].actor_id == people.exam_admin.id
    assert written[-1].details["changed"]["pass_mark"] == ["60", "80"]


# --- the questions of a bank a submitted course's exam draws from ------------------------------

BANK_LOCKED = "题目只能由市题库管理员修改"
QUESTION = {"type": "true_false", "stem": "护士可以开具处方。", "correct": "B"}
EDITED = {**QUESTION, "stem": "护士可以开具处方吗？", "correct": "A"}


def question_of(bank):
    return db.session.scalars(sa.select(Question).where(Question.bank_id == bank.id)
                              .order_by(Question.id)).first()


def snapshot(bank):
    db.session.expire_all()
    return [(q.id, q.stem, q.answer, q.retired_at) for q in db.session.scalars(
        sa.select(Question).where(Question.bank_id == bank.id).order_by(Question.id))]


def test_only_the_exam_admin_changes_the_questions_a_published_exam_draws(
    client, login_as, people, examined, bank
):
    in_state(examined, "published")
    question = question_of(bank)
    retired = Question.from_draft(bank, true_false("已停用的题", True))
    db.session.add(retired)
    db.session.flush()
    retired.retired_at = retired.created_at
    pending = QuestionImport(bank=bank, user_id=people.provider.id, filename="a.gift",
                             format="gift", data="题 {=甲 ~乙}".encode())
    db.session.add(pending)
    db.session.commit()
    before, recorded = snapshot(bank), len(db.session.scalars(sa.select(AuditEntry)).all())
    login_as(people.provider)
    page = client.get(f"/exam/banks/{bank.id}").get_data(as_text=True)  # still shown
    assert BANK_LOCKED in page and examined.title in page
    assert f"/exam/questions/{question.id}/retire" not in page
    for refused in (
        client.get(f"/exam/questions/{question.id}"),
        client.submit(f"/exam/questions/{question.id}", EDITED),
        client.submit(f"/exam/questions/{question.id}/retire"),
        client.submit(f"/exam/questions/{retired.id}/restore"),
        client.get(f"/exam/banks/{bank.id}/questions/new"),
        client.submit(f"/exam/banks/{bank.id}/questions/new", QUESTION),
        client.submit(f"/exam/banks/{bank.id}/import",
                      {"file": (io.BytesIO("题 {=甲 ~乙}".encode()), "a.gift"),
                       "format": "gift"}),
        client.submit(f"/exam/imports/{pending.id}/confirm"),
    ):
        assert refused.status_code == 403
        assert BANK_LOCKED in refused.get_data(as_text=True)
    assert snapshot(bank) == before
    assert len(db.session.scalars(sa.select(AuditEntry)).all()) == recorded
    assert db.session.get(QuestionImport, pending.id).imported_at is None
    for call in (lambda: services.save_question(people.provider, bank, question.draft(),
                                                question),
                 lambda: services.set_retired(people.provider, question, True),
                 lambda: services.stash(people.provider, bank, "a.gift", "gift", b"x {T}"),
                 lambda: services.confirm_import(people.provider, pending.id)):
        with pytest.raises(Forbidden):
            call()
    db.session.rollback()

    # The city's exam admin changes them, and each change is recorded.
    client.submit("/logout")
    login_as(people.exam_admin)
    assert client.submit(f"/exam/questions/{question.id}", EDITED).status_code == 302
    assert client.submit(f"/exam/questions/{question.id}/retire").status_code == 302
    assert client.submit(f"/exam/questions/{question.id}/restore").status_code == 302
    assert client.submit(f"/exam/banks/{bank.id}/questions/new", QUESTION).status_code == 302
    preview = client.submit(f"/exam/banks/{bank.id}/import",
                            {"file": (io.BytesIO("题 {=甲 ~乙}".encode()), "a.gift"),
                             "format": "gift"})
    assert preview.status_code == 200
    mine = db.session.scalars(sa.select(QuestionImport).where(
        QuestionImport.user_id == people.exam_admin.id)).one()
    assert client.submit(f"/exam/imports/{mine.id}/confirm").status_code == 302
    db.session.expire_all()
    assert (question.stem, question.answer, question.retired_at) == ("护士可以开具处方吗？", [0],
                                                                    None)
    assert [len(entries(code)) for code in ("question.edit", "question.retire",
                                            "question.restore", "question.create",
                                            "questions.import")] == [1, 1, 1, 1, 1]
    assert {e.actor_id for e in entries("question.edit")} == {people.exam_admin.id}


def test_a_bank_drawn_only_by_drafts_and_returned_courses_stays_the_providers(
    client, login_as, people, examined, bank
):
    in_state(examined, "returned")
    question = question_of(bank)
    login_as(people.provider)
    assert BANK_LOCKED not in client.get(f"/exam/banks/{bank.id}").get_data(as_text=True)
    assert client.submit(f"/exam/questions/{question.id}/retire").status_code == 302
    db.session.expire_all()
    assert question.retired_at is not None
