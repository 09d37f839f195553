"""One schema per request and response type; the OpenAPI document is made from these."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class Schema(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TokenRequest(Schema):
    id_number: str = Field(max_length=30, description="居民身份证号码")
    password: str = Field(max_length=128)


class TokenResponse(Schema):
    token: str
    expires_at: datetime


class Error(Schema):
    error: str
    message: str


class VideoSummary(Schema):
    id: int
    title: str
    position: int
    duration_seconds: int | None
    credit_hours: str


class CourseSummary(Schema):
    id: int
    title: str
    category: str
    category_label: str
    topic: str | None
    provider: str
    credit_hours: str = Field(description="学时 = 视频总秒数 / 2700，保留一位小数，向下取整")
    duration_seconds: int
    title_series: list[str]


class CoursePage(Schema):
    items: list[CourseSummary]
    page: int
    pages: int
    total: int


class CourseDetail(CourseSummary):
    description: str
    status: str
    videos: list[VideoSummary]


class CourseCreate(Schema):
    provider_id: int
    title: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=5000)
    category: str = Field(pattern="^(public_compulsory|public_elective|professional)$")
    topic_id: int | None = None
    title_series_ids: list[int] = []


class Playback(Schema):
    master: str = Field(description="HLS master playlist; links expire")
    poster: str
    expires: int = Field(description="Unix time after which the links stop working")


class UploadStart(Schema):
    filename: str = Field(min_length=1, max_length=255)
    size: int = Field(ge=0, description="bytes")
    title: str = Field(default="", max_length=120)


class VideoStatus(Schema):
    id: int
    course_id: int
    title: str
    original_filename: str
    state: str
    state_label: str
    reason: str | None
    size: int
    received: int = Field(description="bytes stored; an interrupted upload resumes here")
    upload_percent: int
    progress: int = Field(description="transcode progress, percent")
    duration_seconds: int | None
    credit_hours: str
    upload_url: str


class PlaybackStarted(Schema):
    """A verified playback: send its heartbeats to ``POST /heartbeats``."""

    playback: str = Field(description="secret id of this playback; starting another ends it")
    resume_at: float = Field(description="seconds: where to start playing")
    duration: float
    covered: float = Field(description="seconds verifiably watched so far")
    furthest: float = Field(description="seconds: the furthest verified point; on first "
                            "viewing the player may not seek past it")
    complete: bool
    speeds: list[float] = Field(description="playback speeds that can earn credit")
    heartbeat_seconds: int = Field(description="send a heartbeat this often while open")


class HeartbeatReport(Schema):
    """What the player says every few seconds. Its clock is not asked: the server's decides."""

    playback: str = Field(max_length=100)
    seq: int = Field(ge=1, le=2**31 - 1, description="increases with every heartbeat")
    position: float = Field(ge=0, le=24 * 3600, allow_inf_nan=False, description="seconds")
    playing: bool
    visible: bool = Field(description="whether the page is visible")
    presence_answer: str | None = Field(default=None, max_length=8)


class HeartbeatAnswer(Schema):
    active: bool = Field(description="false once another playback of this learner started: "
                         "stop playing and say so")
    verdict: str = Field(description="watched, silence, idle, presence, ahead, too_fast, "
                         "replay or ended")
    credited: float = Field(description="seconds of new coverage this heartbeat earned")
    covered: float
    furthest: float
    duration: float
    complete: bool
    course_credited: bool = Field(description="this heartbeat completed the course and "
                                  "credited its hours")
    presence_question: str | None = Field(description="pause and ask the learner; send the "
                                          "answer as presence_answer. Nothing is credited "
                                          "until it is answered")


# --- exams --------------------------------------------------------------------------------------


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
    wrong: list[PaperItem] | None = Field(description="questions answered wrongly, without "
                                          "answers; null when the exam shows the score only")
    answers: list[AnsweredItem] | None = Field(description="every question with its answer "
                                               "and explanation; null unless allowed")


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
    key: str = Field(min_length=1, max_length=40, description="the question's key")
    options: list[Annotated[str, Field(max_length=40)]] = Field(
        max_length=20, description="chosen option ids; empty clears the answer")


class AnswerSaved(Schema):
    key: str
    options: list[str]
    answered: int = Field(description="questions with an answer saved")
    seconds_left: int
