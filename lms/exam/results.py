"""What a learner may see of a submitted attempt, as the course's exam allows (rules §5).

One decision for the result page and the API, so the two never show different things. The
score and the pass mark always. Which questions were answered wrongly, the learner's own
choices and the right answers only once the attempt is *settled* — passed, or its round has
no attempt left — so that a failed first attempt never hands the second its answers (a
true/false question marked wrong is its answer, and the next paper may draw it again). Within
that, the exam's setting may be stricter: ``score`` never shows more than the score, ``wrong``
the questions answered wrongly without their answers, ``answers_after_pass`` those and, after a
pass, every question with the learner's choice, its answer and explanation.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from lms.exam import papers, services
from lms.exam.attempts import ATTEMPTS_PER_CYCLE
from lms.exam.models import ExamAttempt, ShowAfter
from lms.exam.papers import PaperQuestion
from lms.extensions import db


@dataclass(frozen=True)
class Shown:
    show_after: ShowAfter
    #: Questions not answered exactly right, to show without their answers; None: not shown.
    wrong: list[PaperQuestion] | None
    #: Every question, to show with its correct options and explanation; None: not shown.
    answers: list[PaperQuestion] | None
    #: The exam would show more, but not yet: the attempt failed and its round has another.
    withheld: bool = False


def shown(attempt: ExamAttempt) -> Shown:
    """What the learner may see of ``attempt``, which must be submitted."""
    if attempt.submitted_at is None:
        raise ValueError("an open attempt has no result")
    exam = services.exam_of(attempt.course)
    show = exam.show_after if exam else ShowAfter.score
    if show is ShowAfter.score:
        return Shown(show, None, None)
    if not settled(attempt):
        return Shown(show, None, None, withheld=True)
    paper = papers.from_json(attempt.paper)
    wrong = [q for q in paper if set(attempt.answers.get(q.key, [])) != q.correct]
    answers = paper if show is ShowAfter.answers_after_pass and attempt.passed else None
    return Shown(show, wrong, answers)


def settled(attempt: ExamAttempt) -> bool:
    """Whether ``attempt`` was passed or its round has no attempt left (one of them passed, or
    every one failed): only then may its questions be shown."""
    if attempt.passed:
        return True
    passed, failed = db.session.execute(
        sa.select(sa.func.count().filter(ExamAttempt.passed.is_(True)),
                  sa.func.count().filter(ExamAttempt.passed.is_(False)))
        .where(ExamAttempt.user_id == attempt.user_id,
               ExamAttempt.course_id == attempt.course_id,
               ExamAttempt.cycle == attempt.cycle)
    ).one()
    return bool(passed) or failed >= ATTEMPTS_PER_CYCLE
