"""A learner's attempts at a course's exam (rules §5).

The exam opens when every video of the course is complete. Starting an attempt draws its
paper and freezes it in the attempt; answers are saved one question at a time, so a closed tab
loses nothing; the time limit is the server's, and an attempt whose time has run out is
submitted with what was saved the next time anyone looks at it. Two failed attempts close the
exam until the learner re-studies the course. A pass credits the course's hours, once: the
attempt's row is locked while it is submitted, and the learning record is unique per learner
and course.
"""

from __future__ import annotations

import random
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import abort
from flask_babel import gettext as _

from lms import clock
from lms.auth.guards import require
from lms.auth.models import Role, User
from lms.courses.models import Course, CourseStatus
from lms.db import insert_once
from lms.exam import papers, services
from lms.exam.grading import grade
from lms.exam.models import CourseExam, ExamAttempt, StudyCycle
from lms.exam.questions import QuestionType
from lms.extensions import db
from lms.records import services as records
from lms.watching import services as watching
from lms.watching.models import VideoProgress

ATTEMPTS_PER_CYCLE = 2


class ExamClosed(Exception):
    """The learner cannot start an attempt now; str() says why, in their words."""


class AttemptClosed(Exception):
    """The attempt was submitted (by the learner, or by the clock)."""


class BadAnswer(ValueError):
    """An answer to a question not on the paper, or with options that are not the question's."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        #: What is wrong: the question's ``key`` or the chosen ``options``.
        self.field = field


@dataclass(frozen=True)
class Standing:
    """Where a learner stands with a course's exam in the current study cycle."""

    cycle: int
    #: This cycle's attempts.
    attempts: list[ExamAttempt]
    videos_complete: bool
    #: Every cycle's, for the history.
    history: list[ExamAttempt]

    @property
    def open(self) -> ExamAttempt | None:
        return next((a for a in self.attempts if a.submitted_at is None), None)

    @property
    def passed(self) -> bool:
        return any(a.passed for a in self.attempts)

    @property
    def locked(self) -> bool:
        """Both attempts failed: the course must be studied again."""
        failed = [a for a in self.attempts if a.passed is False]
        return not self.passed and len(failed) >= ATTEMPTS_PER_CYCLE


def standing(user: User, course: Course) -> Standing:
    attempts = list(db.session.scalars(
        sa.select(ExamAttempt)
        .where(ExamAttempt.user_id == user.id, ExamAttempt.course_id == course.id)
        .order_by(ExamAttempt.cycle, ExamAttempt.number)
    ))
    for attempt in attempts:
        _close_if_expired(attempt)
    cycle = db.session.scalar(
        sa.select(sa.func.max(StudyCycle.cycle))
        .where(StudyCycle.user_id == user.id, StudyCycle.course_id == course.id)
    ) or 1
    return Standing(cycle, [a for a in attempts if a.cycle == cycle],
                    watching.course_complete(user.id, course), attempts)


def require_taker(actor: User, course: Course) -> None:
    """Only a learner takes an exam, of a published public course."""
    require(actor.has_role(Role.learner) and course.status is CourseStatus.published
            and course.category.is_public)


def refusal(now: Standing, exam: CourseExam | None) -> str | None:
    """Why the learner cannot start an attempt now, in their words; None when they can (an
    open attempt is resumed)."""
    if exam is None:
        return _("本课程还没有考试")
    if now.passed:
        return _("你已通过本课程的考试")
    if now.open is not None:
        return None
    if now.locked:
        return _("两次考试均未通过，请申请重新学习本课程，学完后可再考两次")
    if not now.videos_complete:
        return _("请先看完本课程的全部视频，再参加考试")
    return None


def start(actor: User, course: Course) -> ExamAttempt:
    """The learner's open attempt, or a new one with a freshly drawn paper."""
    require_taker(actor, course)
    exam = services.exam_of(course)
    now = standing(actor, course)
    why = refusal(now, exam)
    if why is not None:
        raise ExamClosed(why)
    if now.open is not None:
        return now.open
    assert exam is not None
    try:
        paper = papers.draw(exam.rules(), services.candidates(exam.banks), random.SystemRandom(),
                            shuffle_questions=exam.shuffle_questions,
                            shuffle_options=exam.shuffle_options)
    except papers.NotEnough:  # questions retired since the exam was set
        raise ExamClosed(_("本课程考试的题目暂时不足，无法组卷，请联系课程的培训机构")) from None
    started = clock.now()
    attempt = insert_once(
        db.session, ExamAttempt, user_id=actor.id, course_id=course.id, cycle=now.cycle,
        number=len(now.attempts) + 1, paper=papers.to_json(paper), answers={},
        started_at=started, deadline=started + timedelta(minutes=exam.minutes),
        total=exam.total, pass_mark=exam.pass_mark, partial_credit=exam.partial_credit,
    )
    if attempt is None:  # a double click: the other request started it
        opened = standing(actor, course).open
        if opened is None:
            raise ExamClosed(_("考试已经开始，请刷新页面"))
        return opened
    return attempt


def get(actor: User, attempt_id: int, *, lock: bool = False) -> ExamAttempt:
    """The learner's own attempt, submitted by the clock if its time has run out. Locked, it
    is read afresh: what another request saved while this one waited for the lock counts."""
    query = sa.select(ExamAttempt).where(ExamAttempt.id == attempt_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    attempt = db.session.scalar(query)
    if attempt is None:
        abort(404)
    require(attempt.user_id == actor.id)
    _close_if_expired(attempt)
    return attempt


def require_owner(actor: User, attempt_id: int) -> None:
    """403 unless the attempt is ``actor``'s (404 if there is none), reading nothing else:
    for a request that must be refused before its body is looked at."""
    owner = db.session.scalar(sa.select(ExamAttempt.user_id).where(ExamAttempt.id == attempt_id))
    if owner is None:
        abort(404)
    require(owner == actor.id)


def save_answer(actor: User, attempt_id: int, key: str,
                option_ids: Collection[str]) -> ExamAttempt:
    attempt = get(actor, attempt_id, lock=True)
    if attempt.submitted_at is not None:
        raise AttemptClosed(_("考试时间已到，已按保存的答案交卷") if attempt.timed_out
                            else _("已经交卷，不能再修改答案"))
    question = next((q for q in attempt.paper if q["key"] == key), None)
    if question is None:
        raise BadAnswer(_("这道题不在你的试卷上"), "key")
    chosen = set(option_ids)
    if not chosen <= {o["id"] for o in question["options"]}:
        raise BadAnswer(_("所选的选项不属于这道题"), "options")
    if QuestionType(question["type"]) is not QuestionType.multiple and len(chosen) > 1:
        raise BadAnswer(_("这道题只能选一个答案"), "options")
    attempt.answers = {**attempt.answers, key: sorted(chosen)}
    return attempt


def submit(actor: User, attempt_id: int) -> ExamAttempt:
    """Grade the attempt with its saved answers, once; a pass credits the course."""
    attempt = get(actor, attempt_id, lock=True)
    if attempt.submitted_at is None:
        _grade(attempt, clock.now(), timed_out=False)
    return attempt


def _close_if_expired(attempt: ExamAttempt) -> None:
    if attempt.submitted_at is None and clock.now() > attempt.deadline:
        _grade(attempt, attempt.deadline, timed_out=True)


def _grade(attempt: ExamAttempt, at: datetime, *, timed_out: bool) -> None:
    paper = papers.from_json(attempt.paper)
    result = grade([q.item() for q in paper], attempt.answers, attempt.pass_mark,
                   partial_credit=attempt.partial_credit)
    attempt.score, attempt.passed = result.score, result.passed
    attempt.submitted_at, attempt.timed_out = at, timed_out
    db.session.flush()
    if result.passed:
        records.credit_course(attempt.user_id, attempt.course, at)


def restudy(actor: User, course: Course) -> StudyCycle:
    """申请重新学习: after two failures, archive the watching progress of the course's videos
    (kept in the new cycle's row), start watching over, and open two fresh attempts once the
    videos are complete again."""
    require_taker(actor, course)
    now = standing(actor, course)
    if not now.locked:
        raise ExamClosed(_("只有两次考试均未通过后才能申请重新学习"))
    videos = [v.id for v in course.videos]
    rows = list(db.session.scalars(
        sa.select(VideoProgress).where(VideoProgress.user_id == actor.id,
                                       VideoProgress.video_id.in_(videos))
        .with_for_update().execution_options(populate_existing=True)
    ))
    cycle = StudyCycle(
        user_id=actor.id, course_id=course.id, cycle=now.cycle + 1, applied_at=clock.now(),
        archived_progress=[{
            "video_id": p.video_id, "coverage": p.coverage, "covered": p.covered,
            "completed_at": p.completed_at.isoformat() if p.completed_at else None,
        } for p in rows],
    )
    try:
        with db.session.begin_nested():
            db.session.add(cycle)
    except sa.exc.IntegrityError:  # a double click: the other request did it
        raise ExamClosed(_("已申请重新学习")) from None
    for progress in rows:
        progress.coverage, progress.covered = [], 0.0
        progress.position, progress.completed_at = 0.0, None
    db.session.flush()
    return cycle
