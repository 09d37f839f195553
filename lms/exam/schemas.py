"""The JSON API's types for a learner's exam: standing, attempts, papers, answers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import ConfigDict, Field

from lms.jsonapi import Schema


class ExamSummary(Schema):
    questions: int = Field(description="questions on every paper")
    total: str = Field(description="points of the whole paper")
    pass_mark: str
    minutes: int = Field(description="time limit; the server's clock keeps it")
    show_after: str = Field(description="what a submitted paper shows: score, wrong or "
                            "answers_after_pass")


class AttemptBrief(Schema):
    id: int
    cycle: int = Field(description="study round: 1, then one more per 申请重新学习")
    number: int = Field(description="1 or 2 within the round")
    started_at: datetime
    deadline: datetime
    submitted_at: datetime | None
    score: str | None
    passed: bool | None = Field(description="null while open")
    timed_out: bool = Field(description="submitted by the server's clock when time ran out")


class ExamStanding(Schema):
    """Where the learner stands with a course's exam."""

    course_id: int
    exam: ExamSummary | None = Field(description="null: the course has no exam yet")
    videos_complete: bool
    cycle: int
    attempts: list[AttemptBrief] = Field(description="this round's attempts")
    attempts_left: int = Field(description="attempts this round still allows")
    passed: bool
    locked: bool = Field(description="both attempts failed: apply to re-study to go on")
    open_attempt_id: int | None
    can_start: bool = Field(description="starting would give an attempt (a new one, or the "
                            "open one)")
    reason: str | None = Field(description="why not, for the learner to read")
    history: list[AttemptBrief] = Field(description="every round's attempts")


class PaperOption(Schema):
    id: str = Field(description="opaque, random for this paper alone")
    text: str


class PaperItem(Schema):
    """A question of the learner's paper, as it may be shown while the attempt is open."""

    key: str
    type: str = Field(description="single, multiple or true_false")
    stem: str
    points: str
    options: list[PaperOption]


class AnsweredItem(PaperItem):
    """A question with its answer, shown only after a pass when the exam allows it."""

    correct: list[str] = Field(description="ids of the correct options")
    chosen: list[str] = Field(description="ids the learner chose")
    explanation: str


class AttemptResult(Schema):
    score: str
    total: str
    pass_mark: str
    passed: bool
    timed_out: bool
    submitted_at: datetime
    show_after: str
    locked: bool = Field(description="this round's two attempts have failed")
    withheld: bool = Field(description="true after a failed attempt that leaves another in "
                           "this round: the exam would show wrong questions (and answers), but "
                           "only once the learner passes or has no attempt left")
    wrong: list[PaperItem] | None = Field(description="questions answered wrongly, without "
                                          "answers; only after a pass or once no attempt is "
                                          "left in this round (null before, see withheld), "
                                          "and never when the exam shows the score only")
    answers: list[AnsweredItem] | None = Field(description="every question with the learner's "
                                               "choice, its answer and explanation; only after a "
                                               "pass under answers_after_pass, else null")


class Attempt(Schema):
    """An attempt: its paper and saved answers while open, its result once submitted."""

    id: int
    course_id: int
    cycle: int
    number: int
    state: str = Field(description="open or submitted")
    started_at: datetime
    deadline: datetime = Field(description="the server's; it submits the attempt then")
    seconds_left: int
    paper: list[PaperItem] | None = Field(description="null once submitted")
    answers: dict[str, list[str]] | None = Field(description="question key → chosen option "
                                                 "ids; null once submitted")
    result: AttemptResult | None = Field(description="null while open")


class AnswerSave(Schema):
    """Strict: the key and every option id are JSON strings."""

    model_config = ConfigDict(extra="forbid", strict=True)

    key: str = Field(min_length=1, max_length=40, description="the question's key")
    options: list[Annotated[str, Field(max_length=40)]] = Field(
        max_length=20, description="chosen option ids; empty clears the answer")


class AnswerSaved(Schema):
    key: str
    options: list[str]
    answered: int = Field(description="questions with an answer saved")
    seconds_left: int
