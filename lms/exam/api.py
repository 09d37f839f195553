"""The exam part of the JSON API: the learner's standing with a course's exam, taking a paper
(answers saved one at a time), submitting, the result, applying to re-study (rules §5).

The same flow as the learner's pages (``learner_views``), through the same services: the paper
goes out as ``papers.public`` (no answers) while the attempt is open, and what a submitted one
shows is decided by ``results.shown`` for the page and the API alike.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from lms import clock
from lms.auth.guards import require_login
from lms.auth.models import User
from lms.courses.models import Course
from lms.exam import attempts, papers, results, services
from lms.exam.attempts import ATTEMPTS_PER_CYCLE
from lms.exam.models import CourseExam, ExamAttempt
from lms.exam.questions import plain
from lms.exam.schemas import AnswerSave, AnswerSaved, Attempt, ExamStanding
from lms.extensions import db
from lms.jsonapi import error_response, operation, parse, respond

logger = logging.getLogger(__name__)

NOT_FOUND = "no such course or attempt"
EXAM_CLOSED = "exam_closed: the exam cannot be started now; the message says why"


def _refused(error: str, refusal: Exception, status: int) -> Any:
    return error_response(status, error, refusal, getattr(refusal, "field", None))


# --- the course's exam ------------------------------------------------------------------------


@operation("GET", "/courses/<int:course_id>/exam",
           "Where the learner stands with a course's exam: attempts, locked, whether and why "
           "not they can start", tag="exam", response=ExamStanding, errors={404: NOT_FOUND})
def exam_standing(course_id: int) -> Any:
    user = require_login()
    course = db.get_or_404(Course, course_id)
    attempts.require_taker(user, course)
    body = _standing(user, course)
    db.session.commit()  # an attempt whose time ran out has just been submitted by the clock
    return respond(ExamStanding, body)


@operation("POST", "/courses/<int:course_id>/exam/attempts",
           "Start an attempt with a freshly drawn paper, or resume the open one",
           tag="exam", response=Attempt, errors={404: NOT_FOUND, 409: EXAM_CLOSED})
def start_attempt(course_id: int) -> Any:
    user = require_login()
    course = db.get_or_404(Course, course_id)
    try:
        found = attempts.start(user, course)
    except attempts.ExamClosed as closed:
        db.session.rollback()
        return _refused("exam_closed", closed, 409)
    body = _attempt(user, found)
    db.session.commit()
    return respond(Attempt, body)


@operation("POST", "/courses/<int:course_id>/exam/restudy",
           "申请重新学习: after two failed attempts, archive this round's watching progress "
           "and start the course over", tag="exam", response=ExamStanding,
           errors={404: NOT_FOUND, 409: "exam_closed: only after two failed attempts"})
def restudy(course_id: int) -> Any:
    user = require_login()
    course = db.get_or_404(Course, course_id)
    try:
        attempts.restudy(user, course)
    except attempts.ExamClosed as refused:
        db.session.rollback()
        return _refused("exam_closed", refused, 409)
    body = _standing(user, course)
    db.session.commit()
    return respond(ExamStanding, body)


# --- an attempt -------------------------------------------------------------------------------


@operation("GET", "/attempts/<int:attempt_id>",
           "An attempt: its paper and saved answers while open, its result once submitted",
           tag="exam", response=Attempt, errors={404: NOT_FOUND})
def get_attempt(attempt_id: int) -> Any:
    user = require_login()
    found = attempts.get(user, attempt_id)
    body = _attempt(user, found)
    db.session.commit()  # an expired attempt has just been submitted by the clock
    return respond(Attempt, body)


@operation("POST", "/attempts/<int:attempt_id>/answers",
           "Save the answer to one question (an empty list clears it)", tag="exam",
           body=AnswerSave, response=AnswerSaved,
           errors={404: NOT_FOUND,
                   409: "attempt_closed: submitted, by the learner or by the server's clock",
                   422: "bad_answer: a question not on this paper, options not the "
                        "question's, or several for a one-answer question"})
def save_answer(attempt_id: int) -> Any:
    user = require_login()
    attempts.require_owner(user, attempt_id)  # the learner's own, or 403 before the body
    form = parse(AnswerSave)
    try:
        found = attempts.save_answer(user, attempt_id, form.key, form.options)
    except attempts.AttemptClosed as closed:
        db.session.commit()  # what the clock did (grading the saved answers) stands
        return _refused("attempt_closed", closed, 409)
    except attempts.BadAnswer as bad:
        db.session.rollback()
        return _refused("bad_answer", bad, 422)
    body = {"key": form.key, "options": found.answers[form.key],
            "answered": sum(1 for chosen in found.answers.values() if chosen),
            "seconds_left": _seconds_left(found)}
    db.session.commit()
    return respond(AnswerSaved, body)


@operation("POST", "/attempts/<int:attempt_id>/submit",
           "Submit the attempt with its saved answers; submitting again returns the same "
           "result, and a pass credits the course once", tag="exam", response=Attempt,
           errors={404: NOT_FOUND})
def submit_attempt(attempt_id: int) -> Any:
    user = require_login()
    found = attempts.submit(user, attempt_id)
    body = _attempt(user, found)
    db.session.commit()
    return respond(Attempt, body)


# --- bodies -----------------------------------------------------------------------------------


def _standing(user: User, course: Course) -> dict[str, Any]:
    now = attempts.standing(user, course)
    exam = services.exam_of(course)
    reason = attempts.refusal(now, exam)
    return {
        "course_id": course.id,
        "exam": _exam(exam) if exam is not None else None,
        "videos_complete": now.videos_complete,
        "cycle": now.cycle,
        "attempts": [_brief(a) for a in now.attempts],
        "attempts_left": 0 if now.passed else max(0, ATTEMPTS_PER_CYCLE - len(now.attempts)),
        "passed": now.passed,
        "locked": now.locked,
        "open_attempt_id": now.open.id if now.open is not None else None,
        "can_start": reason is None,
        "reason": reason,
        "history": [_brief(a) for a in now.history],
    }


def _exam(exam: CourseExam) -> dict[str, Any]:
    return {"questions": sum(rule.count for rule in exam.rules()), "total": plain(exam.total),
            "pass_mark": plain(exam.pass_mark), "minutes": exam.minutes,
            "show_after": exam.show_after.value}


def _brief(attempt: ExamAttempt) -> dict[str, Any]:
    return {"id": attempt.id, "cycle": attempt.cycle, "number": attempt.number,
            "started_at": attempt.started_at, "deadline": attempt.deadline,
            "submitted_at": attempt.submitted_at,
            "score": plain(attempt.score) if attempt.score is not None else None,
            "passed": attempt.passed, "timed_out": attempt.timed_out}


def _seconds_left(attempt: ExamAttempt) -> int:
    if attempt.submitted_at is not None:
        return 0
    return max(0, int((attempt.deadline - clock.now()).total_seconds()))


def _attempt(user: User, attempt: ExamAttempt) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": attempt.id, "course_id": attempt.course_id, "cycle": attempt.cycle,
        "number": attempt.number, "started_at": attempt.started_at,
        "deadline": attempt.deadline, "seconds_left": _seconds_left(attempt),
        "state": "open", "paper": None, "answers": None, "result": None,
    }
    if attempt.submitted_at is None:
        body["paper"] = papers.public(papers.from_json(attempt.paper))
        body["answers"] = attempt.answers
    else:
        body["state"] = "submitted"
        body["result"] = _result(user, attempt)
    return body


def _result(user: User, attempt: ExamAttempt) -> dict[str, Any]:
    """The score, and of the paper only what ``results.shown`` allows."""
    shown = results.shown(attempt)
    return {
        "score": plain(attempt.score if attempt.score is not None else Decimal(0)),
        "total": plain(attempt.total),
        "pass_mark": plain(attempt.pass_mark), "passed": bool(attempt.passed),
        "timed_out": attempt.timed_out, "submitted_at": attempt.submitted_at,
        "show_after": shown.show_after.value, "withheld": shown.withheld,
        "locked": attempts.standing(user, attempt.course).locked,
        "wrong": papers.public(shown.wrong) if shown.wrong is not None else None,
        "answers": None if shown.answers is None else [
            {**row, "correct": sorted(q.correct), "chosen": attempt.answers.get(q.key, []),
             "explanation": q.explanation}
            for q, row in zip(shown.answers, papers.public(shown.answers), strict=True)
        ],
    }
