"""Drawing a paper: a fresh random selection per attempt, frozen with it (rules §5).

What is drawn is copied into the paper — stem, options, the correct ones, points — so that
changing a bank never changes a paper already drawn. Every option gets an id that is random
for this paper alone: the ids say nothing about which option is right, or where it stood in
the bank; what the learner's page and the API carry is ``public``: questions and option ids,
never the answer.

A bank may hold thousands of questions and a paper takes fifty, so a ``Pool`` knows its
questions at first only in groups alike in what the rules choose by (bank, type, tags), and
reads the rest of a question — stem, options, answer — only once it is drawn. Questions are
drawn in the order of their ids, so the same random numbers draw the same paper from a pool
and from the same questions in a list.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple, overload

from flask_babel import gettext as _

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

    def takes(self, candidate: Group | Candidate) -> bool:
        return (candidate.type is self.type and candidate.bank_id in self.banks
                and (not self.tags or bool(set(self.tags) & set(candidate.tags))))


class Group(NamedTuple):
    """Questions in use in a bank, alike in all that the rules choose by."""

    bank_id: int
    type: QuestionType
    tags: tuple[str, ...]
    #: In ascending order.
    question_ids: list[int]


@dataclass(frozen=True)
class Candidate:
    """A question in use in a bank, that a rule may draw."""

    question_id: int
    bank_id: int
    draft: Draft

    @property
    def type(self) -> QuestionType:
        return self.draft.type

    @property
    def tags(self) -> tuple[str, ...]:
        return self.draft.tags


class Pool(Sequence[Candidate]):
    """Questions to draw from, known by their groups; ``load`` reads the drafts of the
    questions with the ids given, once they are drawn. Read as a sequence, it is every
    candidate in the order of their ids, read whole once."""

    def __init__(self, groups: Iterable[Group],
                 load: Callable[[list[int]], Mapping[int, Draft]]) -> None:
        self.groups = list(groups)
        self._load = load
        self._whole: list[Candidate] | None = None

    def drafts(self, ids: list[int]) -> Mapping[int, Draft]:
        if self._whole is not None:
            wanted = set(ids)
            return {c.question_id: c.draft for c in self._whole if c.question_id in wanted}
        return self._load(ids)

    def __len__(self) -> int:
        return sum(len(group.question_ids) for group in self.groups)

    @overload
    def __getitem__(self, index: int) -> Candidate: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Candidate]: ...

    def __getitem__(self, index: int | slice) -> Candidate | Sequence[Candidate]:
        if self._whole is None:
            banks = {i: group.bank_id for group in self.groups for i in group.question_ids}
            drafts = self._load(sorted(banks))
            self._whole = [Candidate(i, banks[i], drafts[i]) for i in sorted(banks)]
        return self._whole[index]


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
    return _shortfalls(rules, _groups(pool))


def _shortfalls(rules: Sequence[Rule], groups: list[Group]) -> list[str]:
    found: list[str] = []
    taken: set[int] = set()
    for rule in rules:
        available = _available(rule, groups, taken)
        if len(available) < rule.count:
            found.append(_("%(type)s题需要 %(n)d 道，题库中只有 %(m)d 道", type=rule.type.label,
                           n=rule.count, m=len(available)))
        taken.update(available[:rule.count])
    return found


def draw(rules: Sequence[Rule], pool: Sequence[Candidate], rng: random.Random, *,
         shuffle_questions: bool = True, shuffle_options: bool = True) -> list[PaperQuestion]:
    """A paper: each rule's questions picked at random, none twice."""
    groups = _groups(pool)
    missing = _shortfalls(rules, groups)
    if missing:
        raise NotEnough("；".join(missing))
    picked: list[tuple[Rule, list[int]]] = []
    taken: set[int] = set()
    for rule in rules:
        ids = rng.sample(_available(rule, groups, taken), rule.count)
        taken.update(ids)
        picked.append((rule, ids))
    drafts = _drafts(pool, sorted(taken))  # the questions drawn, read at once
    paper = [_frozen(i, drafts[i], rule.points, rng, shuffle_options)
             for rule, ids in picked for i in ids]
    if shuffle_questions:
        rng.shuffle(paper)
    return paper


def _groups(pool: Sequence[Candidate]) -> list[Group]:
    if isinstance(pool, Pool):
        return pool.groups
    found: dict[tuple[int, QuestionType, tuple[str, ...]], Group] = {}
    for c in pool:
        key = (c.bank_id, c.draft.type, c.draft.tags)
        group = found.get(key)
        if group is None:
            group = found[key] = Group(*key, [])
        group.question_ids.append(c.question_id)
    for group in found.values():
        group.question_ids.sort()
    return list(found.values())


def _available(rule: Rule, groups: list[Group], taken: set[int]) -> list[int]:
    """The ids of the questions ``rule`` may draw that are not ``taken``, ascending."""
    lists = [group.question_ids for group in groups if rule.takes(group)]
    ids = lists[0] if len(lists) == 1 else sorted(itertools.chain.from_iterable(lists))
    if taken.isdisjoint(ids):  # rules of different types never share a question
        return ids
    return [i for i in ids if i not in taken]


def _drafts(pool: Sequence[Candidate], ids: list[int]) -> Mapping[int, Draft]:
    if isinstance(pool, Pool):
        return pool.drafts(ids)
    wanted = set(ids)
    return {c.question_id: c.draft for c in pool if c.question_id in wanted}


def _frozen(question_id: int, draft: Draft, points: Decimal, rng: random.Random,
            shuffle_options: bool) -> PaperQuestion:
    ids = _ids(rng, len(draft.options) + 1)
    options = [(ids[i + 1], text) for i, text in enumerate(draft.options)]
    correct = frozenset(ids[i + 1] for i in draft.answer)
    if shuffle_options and draft.type is not QuestionType.true_false:
        rng.shuffle(options)
    return PaperQuestion(ids[0], question_id, draft.type, draft.stem, tuple(options),
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
