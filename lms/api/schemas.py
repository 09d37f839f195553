"""One schema per request and response type; the OpenAPI document is made from these."""

from __future__ import annotations

from datetime import datetime

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
