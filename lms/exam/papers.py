"""Drawing a paper: a fresh random selection per attempt, frozen with it (DESIGN §5).

What is drawn is copied into the paper — stem, options, the correct ones, points — so that
changing a bank never changes a paper already drawn. Every option gets an id that is random
for this paper alone: the ids say nothing about which option is right, or where it stood in
the bank; what the learner's page and the API carry is ``public``: questions and option ids,
never the answer.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from lms.exam.grading import Item
from lms.exam.questions import Draft, QuestionType


@dataclass(frozen=True)
class Rule:
    """Draw ``count`` questions of ``type`` from ``banks`` (with any of ``tags``, if given),
    each worth ``points``."""

    type: QuestionType
    count: int
    points: Decimal
    banks: tuple[int, ...]
    tags: tuple[str, ...] = ()

    def takes(self, candidate: Candidate) -> bool:
        return (candidate.draft.type is self.type and candidate.bank_id in self.banks
                and (not self.tags or bool(set(self.tags) & set(candidate.draft.tags))))


@dataclass(frozen=True)
class Candidate:
    """A question in use in a bank, that a rule may draw."""

    question_id: int
    bank_id: int
    draft: Draft


@dataclass(frozen=True)
class PaperQuestion:
    key: str
    question_id: int
    type: QuestionType
    stem: str
    #: (option id, text), in the order shown.
    options: tuple[tuple[str, str], ...]
    correct: frozenset[str]
    points: Decimal
    explanation: str

    def item(self) -> Item:
        return Item(self.key, self.type, self.points, self.correct)


class NotEnough(ValueError):
    """A rule asks for more questions than its banks hold."""


def total(rules: Sequence[Rule]) -> Decimal:
    return sum((rule.points * rule.count for rule in rules), Decimal(0))


def shortfalls(rules: Sequence[Rule], pool: Sequence[Candidate]) -> list[str]:
    """Why papers cannot be drawn by ``rules`` from ``pool``; empty when they can.

    Rules draw in order, and a question is drawn at most once per paper, so a later rule
    counts only what the earlier ones leave."""
    found, taken = [], set()
    for rule in rules:
        available = [c for c in pool if rule.takes(c) and c.question_id not in taken]
        if len(available) < rule.count:
            found.append(f"{rule.type.label}题需要 {rule.count} 道，题库中只有 {len(available)} 道")
        taken.update(c.question_id for c in available[:rule.count])
    return found


def draw(rules: Sequence[Rule], pool: Sequence[Candidate], rng: random.Random, *,
         shuffle_questions: bool = True, shuffle_options: bool = True) -> list[PaperQuestion]:
    """A paper: each rule's questions picked at random, none twice."""
    missing = shortfalls(rules, pool)
    if missing:
        raise NotEnough("；".join(missing))
    paper, taken = [], set()
    for rule in rules:
        available = [c for c in pool if rule.takes(c) and c.question_id not in taken]
        for candidate in rng.sample(available, rule.count):
            taken.add(candidate.question_id)
            paper.append(_frozen(candidate, rule.points, rng, shuffle_options))
    if shuffle_questions:
        rng.shuffle(paper)
    return paper


def _frozen(candidate: Candidate, points: Decimal, rng: random.Random,
            shuffle_options: bool) -> PaperQuestion:
    draft = candidate.draft
    ids = _ids(rng, len(draft.options) + 1)
    options = [(ids[i + 1], text) for i, text in enumerate(draft.options)]
    correct = frozenset(ids[i + 1] for i in draft.answer)
    if shuffle_options and draft.type is not QuestionType.true_false:
        rng.shuffle(options)
    return PaperQuestion(ids[0], candidate.question_id, draft.type, draft.stem, tuple(options),
                         correct, points, draft.explanation)


def _ids(rng: random.Random, n: int) -> list[str]:
    """``n`` different ids of 12 hex digits."""
    ids: set[str] = set()
    while len(ids) < n:
        ids.add(f"{rng.getrandbits(48):012x}")
    return rng.sample(sorted(ids), n)


def public(paper: Sequence[PaperQuestion]) -> list[dict[str, Any]]:
    """The paper as the learner's page and the API carry it: no answers."""
    return [{"key": q.key, "type": q.type.value, "stem": q.stem, "points": str(q.points),
             "options": [{"id": option_id, "text": text} for option_id, text in q.options]}
            for q in paper]


def to_json(paper: Sequence[PaperQuestion]) -> list[dict[str, Any]]:
    """The paper as stored with its attempt (on the server only)."""
    return [{**row, "question_id": q.question_id, "correct": sorted(q.correct),
             "explanation": q.explanation}
            for q, row in zip(paper, public(paper), strict=True)]


def from_json(rows: Sequence[dict[str, Any]]) -> list[PaperQuestion]:
    return [PaperQuestion(row["key"], row["question_id"], QuestionType(row["type"]), row["stem"],
                          tuple((o["id"], o["text"]) for o in row["options"]),
                          frozenset(row["correct"]), Decimal(row["points"]), row["explanation"])
            for row in rows]
