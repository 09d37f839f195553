"""What a learner may see of a submitted attempt, as the course's exam allows (rules §5).

One decision for the result page and the API, so the two never show different things: the
score always; the questions answered wrongly (without their answers) unless the exam shows the
score only; every question with its answer and explanation only after a pass, and only when
the exam says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from lms.exam import papers, services
from lms.exam.models import ExamAttempt, ShowAfter
from lms.exam.papers import PaperQuestion


@dataclass(frozen=True)
class Shown:
    show_after: ShowAfter
    #: Questions not answered exactly right, to show without their answers; None: not shown.
    wrong: list[PaperQuestion] | None
    #: Every question, to show with its correct options and explanation; None: not shown.
    answers: list[PaperQuestion] | None


def shown(attempt: ExamAttempt) -> Shown:
    """What the learner may see of ``attempt``, which must be submitted."""
    if attempt.submitted_at is None:
        raise ValueError("an open attempt has no result")
    exam = services.exam_of(attempt.course)
    show = exam.show_after if exam else ShowAfter.score
    if show is ShowAfter.score:
        return Shown(show, None, None)
    paper = papers.from_json(attempt.paper)
    wrong = [q for q in paper if set(attempt.answers.get(q.key, [])) != q.correct]
    answers = paper if show is ShowAfter.answers_after_pass and attempt.passed else None
    return Shown(show, wrong, answers)
