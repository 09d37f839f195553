"""Questions one at a time (rules §5): an admin adds, edits, retires and restores a question
in the browser, is told in plain words what is wrong with one, and a paper already drawn keeps
the question as it was when it was drawn."""

import pytest
import sqlalchemy as sa

from lms.exam import attempts, services
from lms.exam.attempts import ExamClosed
from lms.exam.models import ExamAttempt, Question
from lms.exam.questions import QuestionType
from lms.extensions import db
from tests.exam.test_attempts import answer

SINGLE = {"type": "single", "stem": "传染病疫情应当在几小时内报告？", "option_a": "2 小时",
          "option_b": "24 小时", "option_c": "", "correct": ["A"],
          "explanation": "见《传染病防治法》", "difficulty": "3", "points": "2",
          "tags": "法规，传染病"}


def bank_of(course) -> int:
    return services.exam_of(course).banks[0]


def question_in(bank_id: int, stem: str) -> Question | None:
    return db.session.scalar(sa.select(Question).where(Question.bank_id == bank_id,
                                                       Question.stem == stem))


@pytest.fixture
def admin(client, people, login_as):
    return login_as(people.exam_admin)


def test_an_admin_adds_a_question_with_its_options_answer_and_tags(admin, exam_course):
    bank = bank_of(exam_course)
    assert admin.submit(f"/exam/banks/{bank}/questions/new", SINGLE).status_code == 302
    added = question_in(bank, SINGLE["stem"])
    draft = added.draft()
    assert (draft.type, draft.options, draft.answer) == (QuestionType.single,
                                                         ("2 小时", "24 小时"), {0})
    assert (draft.explanation, draft.difficulty, str(draft.points), draft.tags) == (
        "见《传染病防治法》", 3, "2.0", ("法规", "传染病"))


@pytest.mark.parametrize("change, message", [
    ({"correct": ["C"]}, "正确答案 C 没有对应的选项"),
    ({"correct": ["A", "B"]}, "单选题只能有一个正确答案"),
    ({"type": "multiple"}, "多选题至少要有两个正确答案"),
    ({"option_b": "", "option_c": "24 小时"}, "选项B为空"),
    ({"option_b": "2 小时"}, "有重复的选项"),
    ({"correct": []}, "请勾选正确答案"),
    ({"stem": "  "}, "请输入题干"),
    ({"points": "sNaN"}, "请输入有效的数字"),
    ({"points": "Infinity"}, "请输入有效的数字"),
])
def test_a_malformed_question_is_refused_saying_why_and_nothing_is_saved(admin, exam_course,
                                                                        change, message):
    bank = bank_of(exam_course)
    page = admin.submit(f"/exam/banks/{bank}/questions/new", {**SINGLE, **change})
    assert page.status_code == 200
    assert message in page.get_data(as_text=True)
    assert question_in(bank, SINGLE["stem"]) is None


def test_a_true_false_question_takes_its_answer_from_a_or_b(admin, exam_course):
    bank = bank_of(exam_course)
    admin.submit(f"/exam/banks/{bank}/questions/new",
                 {"type": "true_false", "stem": "医师可以公开患者病历。", "correct": ["B"],
                  "option_a": "写了也不用"})
    draft = question_in(bank, "医师可以公开患者病历。").draft()
    assert (draft.options, draft.answer) == (("正确", "错误"), {1})


def test_editing_a_question_changes_later_papers_not_the_one_already_drawn(
        admin, people, watched, clock):
    attempt = attempts.start(people.learner, watched)
    db.session.commit()
    drawn = attempt.paper[0]
    question = db.session.get(Question, drawn["question_id"])
    edit = admin.get(f"/exam/questions/{question.id}").get_data(as_text=True)
    assert question.stem in edit  # the form shows the question as it is

    changed = {"type": question.type.value, "stem": "改过的题干", "correct": ["A"],
               **({"option_a": "新甲", "option_b": "新乙"}
                  if question.type is not QuestionType.true_false else {})}
    assert admin.submit(f"/exam/questions/{question.id}", changed).status_code == 302
    db.session.expire_all()
    assert db.session.get(Question, question.id).stem == "改过的题干"
    kept = db.session.get(ExamAttempt, attempt.id).paper[0]
    assert kept == drawn

    answer(attempt, people.learner, right={"single", "true_false"})
    graded = attempts.submit(people.learner, attempt.id)
    assert graded.passed and graded.score == graded.total  # graded by the paper as drawn


def test_a_retired_question_is_never_drawn_and_can_be_restored(admin, people, watched, clock):
    bank = bank_of(watched)
    question = db.session.scalar(sa.select(Question).where(Question.bank_id == bank)
                                 .order_by(Question.id))
    assert admin.submit(f"/exam/questions/{question.id}/retire").status_code == 302
    assert question.id not in {c.question_id for c in services.candidates([bank])}
    retired_page = admin.get(f"/exam/banks/{bank}?retired=1").get_data(as_text=True)
    assert question.stem in retired_page and "恢复使用" in retired_page

    assert admin.submit(f"/exam/questions/{question.id}/restore").status_code == 302
    assert question.id in {c.question_id for c in services.candidates([bank])}


def test_retiring_what_an_exam_needs_warns_the_admin_and_the_learner_is_told_why(
        admin, people, watched, clock):
    bank = bank_of(watched)
    single = db.session.scalars(sa.select(Question).where(
        Question.bank_id == bank, Question.type == QuestionType.single)).all()
    for question in single[:6]:  # 15 single-choice questions, 10 to a paper
        page = admin.submit(f"/exam/questions/{question.id}/retire", follow_redirects=True)
    warning = f"这些课程的考试题目已不够组卷，请补充题目或修改考试设置：{watched.title}"
    assert warning in page.get_data(as_text=True)

    with pytest.raises(ExamClosed, match="题目暂时不足"):
        attempts.start(people.learner, watched)


def test_only_the_banks_keepers_edit_its_questions(client, people, login_as, exam_course):
    question = db.session.scalar(sa.select(Question).where(
        Question.bank_id == bank_of(exam_course)))
    login_as(people.provider)  # the city's bank is the exam admins'
    assert client.get(f"/exam/questions/{question.id}").status_code == 403
    assert client.submit(f"/exam/questions/{question.id}/retire").status_code == 403
    assert db.session.get(Question, question.id).retired_at is None


def test_a_paper_drawn_after_an_edit_sees_the_question_as_edited(admin, exam_course):
    bank = bank_of(exam_course)
    question = db.session.scalar(sa.select(Question).where(
        Question.bank_id == bank, Question.type == QuestionType.single))
    assert services.candidates([bank])  # the bank's groups, now read and kept
    admin.submit(f"/exam/questions/{question.id}", {
        "type": "multiple", "stem": question.stem, "option_a": "甲", "option_b": "乙",
        "option_c": "丙", "correct": ["A", "C"]})
    [drawn] = [c for c in services.candidates([bank]) if c.question_id == question.id]
    assert (drawn.type, drawn.draft.answer) == (QuestionType.multiple, {0, 2})
