"""Grading a submitted paper: a pure function of the paper, the answers and the rules.

The paper is what was drawn for the attempt (frozen, with opaque option ids); the answers are
whatever the learner's browser sent, so anything may be in them: unknown questions are ignored,
an option that is not a correct one is simply wrong.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from lms.exam.questions import QuestionType


@dataclass(frozen=True)
class Item:
    """One question of a drawn paper, as the grader sees it."""

    key: str
    type: QuestionType
    points: Decimal
    #: The ids of its correct options.
    correct: frozenset[str]


@dataclass(frozen=True)
class Mark:
    key: str
    earned: Decimal
    #: Exactly right.
    right: bool


@dataclass(frozen=True)
class Grade:
    score: Decimal
    total: Decimal
    passed: bool
    marks: tuple[Mark, ...]


def grade(
    paper: Sequence[Item],
    answers: Mapping[str, Collection[str]],
    pass_mark: Decimal,
    *,
    partial_credit: bool = False,
) -> Grade:
    """Mark every question of ``paper`` against ``answers`` (question key → chosen option ids).

    A question scores its points only when the chosen options are exactly its correct ones.
    With ``partial_credit``, a multiple-choice answer that picks some of the correct options
    and nothing wrong earns half the points (少选得一半分, 错选不得分).
    """
    marks = tuple(_mark(item, frozenset(answers.get(item.key, ())), partial_credit)
                  for item in paper)
    score = sum((m.earned for m in marks), Decimal(0))
    total = sum((item.points for item in paper), Decimal(0))
    return Grade(score=score, total=total, passed=score >= pass_mark, marks=marks)


def _mark(item: Item, chosen: frozenset[str], partial_credit: bool) -> Mark:
    if chosen == item.correct:
        return Mark(item.key, item.points, True)
    if (partial_credit and item.type is QuestionType.multiple
            and chosen and chosen < item.correct):
        return Mark(item.key, item.points / 2, False)
    return Mark(item.key, Decimal(0), False)
