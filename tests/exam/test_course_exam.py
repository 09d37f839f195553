"""A course's exam settings (rules §5): which banks and how many questions of each type, points,
pass mark, time; a public course is published only with an exam whose papers can be drawn."""

import re
from decimal import Decimal

import pytest

from lms.courses import services as courses
from lms.courses.models import Category, CourseStatus, Video, VideoState
from lms.exam import services
from lms.exam.models import CourseExam, Question, ShowAfter
from lms.exam.questions import Draft, QuestionType, true_false
from lms.extensions import db

FORM = {"banks": None, "tags": "", "single_count": "10", "single_points": "6",
        "multiple_count": "5", "multiple_points": "4", "true_false_count": "10",
        "true_false_points": "2", "pass_mark": "60", "minutes": "45", "shuffle_questions": "y",
        "shuffle_options": "y", "show_after": "wrong"}


@pytest.fixture
def city_bank(people):
    bank = services.create_bank(people.exam_admin, "公需科目题库")
    db.session.add_all(
        [Question.from_draft(bank, Draft(QuestionType.single, f"单选{n}", ("甲", "乙"),
                                         frozenset({0}))) for n in range(12)]
        + [Question.from_draft(bank, Draft(QuestionType.multiple, f"多选{n}", ("甲", "乙", "丙"),
                                           frozenset({0, 1}))) for n in range(4)]
        + [Question.from_draft(bank, true_false(f"判断{n}", True)) for n in range(10)]
    )
    db.session.commit()
    return bank


@pytest.fixture
def public_course(course, people):
    course.category = Category.public_compulsory
    course.videos.append(Video(title="第1讲", original_filename="1.mp4", size=1, received=1,
                               state=VideoState.ready, duration_seconds=2700, rendition="r/1"))
    course.status = CourseStatus.submitted
    db.session.commit()
    return course


def test_the_provider_sets_the_exam_and_is_told_what_the_banks_lack(client, people, login_as,
                                                                    public_course, city_bank):
    public_course.status = CourseStatus.draft  # the provider sets it before submitting
    db.session.commit()
    login_as(people.provider)
    saved = client.submit(f"/exam/courses/{public_course.id}", {**FORM, "banks": city_bank.id})
    assert saved.status_code == 302
    exam = db.session.get(CourseExam, public_course.id)
    assert (exam.total, exam.pass_mark, exam.minutes, exam.show_after) == (
        Decimal(100), Decimal(60), 45, ShowAfter.wrong)
    page = client.get(f"/exam/courses/{public_course.id}").get_data(as_text=True)
    assert "多选题需要 5 道，题库中只有 4 道" in page
    assert "每份试卷 25 题，总分 100" in page


def test_a_public_course_is_published_only_with_an_exam_that_can_be_drawn(
    people, public_course, city_bank
):
    with pytest.raises(courses.CourseError, match="还没有设置考试"):
        courses.publish(people.city_admin, public_course)
    counts = {QuestionType.single: (10, Decimal(6)), QuestionType.multiple: (5, Decimal(4)),
              QuestionType.true_false: (10, Decimal(2))}
    services.save_exam(people.exam_admin, public_course,
                       services.ExamFields([city_bank.id], [], counts))
    with pytest.raises(courses.CourseError, match="多选题需要 5 道，题库中只有 4 道"):
        courses.publish(people.city_admin, public_course)
    services.save_exam(people.exam_admin, public_course, services.ExamFields(
        [city_bank.id], [], {**counts, QuestionType.multiple: (4, Decimal(5))}))
    courses.publish(people.city_admin, public_course)
    assert public_course.status is CourseStatus.published


def test_a_professional_course_needs_no_exam(people, course):
    course.videos.append(Video(title="第1讲", original_filename="1.mp4", size=1, received=1,
                               state=VideoState.ready, duration_seconds=60, rendition="r/1"))
    course.status = CourseStatus.submitted
    courses.publish(people.city_admin, course)
    assert course.status is CourseStatus.published


def test_a_pass_mark_above_the_total_is_named(people, public_course, city_bank):
    services.save_exam(people.exam_admin, public_course, services.ExamFields(
        [city_bank.id], [], {QuestionType.single: (10, Decimal(5))}, pass_mark=Decimal(60)))
    assert services.exam_problems(public_course) == ["及格分 60 高于总分 50"]


def test_only_the_courses_provider_and_the_city_set_its_exam(client, new_client, people,
                                                             login_as, public_course, city_bank):
    other = login_as(people.other_provider, browser=new_client())
    assert other.get(f"/exam/courses/{public_course.id}").status_code == 403
    mine = services.create_bank(people.other_provider, "别家题库",
                                provider=people.other_provider.roles[0].org)
    db.session.commit()
    admin = login_as(people.exam_admin, browser=new_client())
    assert admin.get(f"/exam/courses/{public_course.id}").status_code == 200
    public_course.status = CourseStatus.draft
    db.session.commit()
    provider = login_as(people.provider)
    refused = provider.submit(f"/exam/courses/{public_course.id}", {**FORM, "banks": mine.id})
    assert refused.status_code == 200  # the form again: not one of the banks they may use
    assert services.exam_of(public_course) is None


def test_a_new_exam_passes_at_60_unless_set_otherwise(client, login_as, people, public_course,
                                                      city_bank):
    login_as(people.exam_admin)
    page = client.get(f"/exam/courses/{public_course.id}").get_data(as_text=True)
    assert re.search(r'<input[^>]*name="pass_mark"[^>]*value="60(\.0)?"', page)
    exam = services.save_exam(people.exam_admin, public_course, services.ExamFields(
        [city_bank.id], [], {QuestionType.single: (10, Decimal(10))}))
    assert exam.pass_mark == Decimal(60) and exam.total == Decimal(100)
