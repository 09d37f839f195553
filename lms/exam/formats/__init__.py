"""Question files in and out: the Excel template Chinese exam admins use, and Moodle's GIFT and
Aiken text formats.

Every reader returns a ``Reading``: the questions it understood and a problem for every line or
row it did not, so that the admin sees the whole list at once and nothing is imported until
there are none (all or nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _

from lms.exam.questions import Draft, problems

#: The biggest question file accepted, bytes (10,000 rows of a rich Excel sheet fit well).
MAX_BYTES = 8 * 1024 * 1024
#: The most questions one file may hold.
MAX_QUESTIONS = 10_000


@dataclass(frozen=True)
class Problem:
    #: The line (text formats) or row (Excel) it is about; 0 for the whole file.
    where: int
    message: str

    def __str__(self) -> str:
        if not self.where:
            return self.message
        return _("第 %(n)d 行：%(message)s", n=self.where, message=self.message)


@dataclass
class Reading:
    questions: list[tuple[int, Draft]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def add(self, where: int, draft: Draft) -> None:
        """Keep ``draft`` (read at ``where``), or note what is wrong with it."""
        wrong = problems(draft)
        if wrong:
            self.problems.append(Problem(where, _("；").join(wrong)))
        else:
            self.questions.append((where, draft))

    def refuse(self, where: int, message: str) -> None:
        self.problems.append(Problem(where, message))

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.questions)
