"""Questions as the exam rules see them: their types, and what makes one well formed.

A ``Draft`` is a question as read from a form or a file, before it is stored in a bank;
``problems`` says, in the words an exam admin would use, what is wrong with one.
"""

from __future__ import annotations

import enum
import re
import string
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _

#: The most options a choice question may have (选项A … 选项H).
MAX_OPTIONS = 8
LETTERS = string.ascii_uppercase[:MAX_OPTIONS]
#: A true/false question's two options, in this order.
TRUE_FALSE = ("正确", "错误")
STEM_MAX = 2000
OPTION_MAX = 500


class QuestionType(enum.StrEnum):
    single = "single"  # 单选
    multiple = "multiple"  # 多选
    true_false = "true_false"  # 判断

    @property
    def label(self) -> str:
        return {"single": _("单选"), "multiple": _("多选"), "true_false": _("判断")}[self.value]


@dataclass(frozen=True)
class Draft:
    type: QuestionType
    stem: str
    #: The options' texts in order; a true/false question has ``TRUE_FALSE``.
    options: tuple[str, ...]
    #: Indexes into ``options`` of the correct ones.
    answer: frozenset[int]
    explanation: str = ""
    #: 1 (easy) to 5 (hard), if given.
    difficulty: int | None = None
    #: A suggestion for the exam settings, if given.
    points: Decimal | None = None
    tags: tuple[str, ...] = field(default=())


def true_false(stem: str, correct: bool, explanation: str = "") -> Draft:
    return Draft(QuestionType.true_false, stem, TRUE_FALSE, frozenset({0 if correct else 1}),
                 explanation)


def problems(draft: Draft) -> list[str]:
    """What is wrong with ``draft``; empty when it may go into a bank."""
    found = []
    if not draft.stem.strip():
        found.append(_("题干为空"))
    elif len(draft.stem) > STEM_MAX:
        found.append(_("题干超过 %(n)d 字", n=STEM_MAX))
    if draft.type is QuestionType.true_false:
        if draft.options != TRUE_FALSE or len(draft.answer) != 1:
            found.append(_("判断题的答案应为“正确”或“错误”"))
        return found
    if len(draft.options) < 2:
        found.append(_("选择题至少要有 2 个选项"))
    if len(draft.options) > MAX_OPTIONS:
        found.append(_("选项不能超过 %(n)d 个（A–H）", n=MAX_OPTIONS))
    for letter, text in zip(LETTERS, draft.options, strict=False):
        if not text.strip():
            found.append(_("选项%(letter)s为空", letter=letter))
        elif len(text) > OPTION_MAX:
            found.append(_("选项%(letter)s超过 %(n)d 字", letter=letter, n=OPTION_MAX))
    if len({text.strip() for text in draft.options}) < len(draft.options):
        found.append(_("有重复的选项"))
    if not draft.answer:
        found.append(_("没有正确答案"))
    elif max(draft.answer) >= len(draft.options):
        missing = "".join(LETTERS[i] for i in sorted(draft.answer) if i >= len(draft.options))
        found.append(_("正确答案 %(letters)s 没有对应的选项", letters=missing))
    elif draft.type is QuestionType.single and len(draft.answer) != 1:
        found.append(_("单选题只能有一个正确答案"))
    elif draft.type is QuestionType.multiple and len(draft.answer) < 2:
        found.append(_("多选题至少要有两个正确答案"))
    if draft.difficulty is not None and not 1 <= draft.difficulty <= 5:
        found.append(_("难度应为 1–5"))
    if draft.points is not None and not Decimal(0) < draft.points <= Decimal(100):
        found.append(_("分值应大于 0、不超过 100"))
    return found


def split_tags(text: str) -> tuple[str, ...]:
    """Tags as an admin types them: separated by commas (either width), 、 or spaces."""
    return tuple(tag for tag in re.split(r"[,，、\s]+", text) if tag)


def letters(answer: frozenset[int]) -> str:
    """An answer as the letters an admin writes: {0, 2} → "AC"."""
    return "".join(LETTERS[i] for i in sorted(answer))


def plain(value: Decimal) -> str:
    """A number of points as people write it: 60, 2.5 (not 60.0 or 6E+1)."""
    return format(value.normalize(), "f")
