"""What the exam tests share: the server's clock in the test's hand, and a published public
course with an exam whose learner has (or has not) watched every video."""

from decimal import Decimal

import pytest

from lms.courses.models import Category, CourseStatus, Video, VideoState
from lms.db import utcnow
from lms.exam import services
from lms.exam.models import Question
from lms.exam.questions import Draft, QuestionType, true_false
from lms.extensions import db
from lms.watching.models import VideoProgress
from tests.watching.conftest import FakeClock


@pytest.fixture
def clock(app, monkeypatch):
    fake = FakeClock()
    monkeypatch.setitem(app.extensions, "clock", fake)
    return fake


def examined(course, exam_admin, drafts, counts):
    """``course`` published as a public course of one 45-minute video, with an exam drawn from
    a bank of ``drafts`` by ``counts`` (question type → (how many, points each))."""
    course.category = Category.public_compulsory
    course.status = CourseStatus.published
    course.videos.append(Video(title="第1讲", original_filename="1.mp4", size=1, received=1,
                               state=VideoState.ready, duration_seconds=2700, rendition="r/1"))
    bank = services.create_bank(exam_admin, "公需科目题库")
    db.session.add_all(Question.from_draft(bank, draft) for draft in drafts)
    db.session.flush()
    services.save_exam(exam_admin, course, services.ExamFields([bank.id], [], counts, minutes=30))
    db.session.commit()
    return course


@pytest.fixture
def exam_course(course, people):
    """An exam of 10 single-choice questions (6 points) and 10 true/false (4 points) drawn
    from a bank of 15 + 15."""
    return examined(
        course, people.exam_admin,
        [Draft(QuestionType.single, f"单选{n}", ("甲", "乙", "丙"), frozenset({n % 3}))
         for n in range(15)] + [true_false(f"判断{n}", n % 2 == 0) for n in range(15)],
        {QuestionType.single: (10, Decimal(6)), QuestionType.true_false: (10, Decimal(4))})


@pytest.fixture
def watched(exam_course, people):
    """The learner has completed every video."""
    for video in exam_course.videos:
        db.session.add(VideoProgress(user_id=people.learner.id, video_id=video.id,
                                     coverage=[[0, 2700]], covered=2700.0, position=2700.0,
                                     completed_at=utcnow()))
    db.session.commit()
    return exam_course
