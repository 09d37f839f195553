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
        return {"single": "单选", "multiple": "多选", "true_false": "判断"}[self.value]


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
        found.append("题干为空")
    elif len(draft.stem) > STEM_MAX:
        found.append(f"题干超过 {STEM_MAX} 字")
    if draft.type is QuestionType.true_false:
        if draft.options != TRUE_FALSE or len(draft.answer) != 1:
            found.append("判断题的答案应为“正确”或“错误”")
        return found
    if len(draft.options) < 2:
        found.append("选择题至少要有 2 个选项")
    if len(draft.options) > MAX_OPTIONS:
        found.append(f"选项不能超过 {MAX_OPTIONS} 个（A–H）")
    for letter, text in zip(LETTERS, draft.options, strict=False):
        if not text.strip():
            found.append(f"选项{letter}为空")
        elif len(text) > OPTION_MAX:
            found.append(f"选项{letter}超过 {OPTION_MAX} 字")
    if len({text.strip() for text in draft.options}) < len(draft.options):
        found.append("有重复的选项")
    if not draft.answer:
        found.append("没有正确答案")
    elif max(draft.answer) >= len(draft.options):
        missing = "".join(LETTERS[i] for i in sorted(draft.answer) if i >= len(draft.options))
        found.append(f"正确答案 {missing} 没有对应的选项")
    elif draft.type is QuestionType.single and len(draft.answer) != 1:
        found.append("单选题只能有一个正确答案")
    elif draft.type is QuestionType.multiple and len(draft.answer) < 2:
        found.append("多选题至少要有两个正确答案")
    if draft.difficulty is not None and not 1 <= draft.difficulty <= 5:
        found.append("难度应为 1–5")
    if draft.points is not None and not Decimal(0) < draft.points <= Decimal(100):
        found.append("分值应大于 0、不超过 100")
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
