"""The JSON API's request and response types for courses, videos and uploads."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from lms.db import MAX_ID
from lms.jsonapi import Error, Id, Schema

#: An id in a query string: text read as a number; 0 means any.
QueryId = Annotated[int, Field(ge=0, le=MAX_ID)]


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


class CatalogParams(BaseModel):
    """The catalog's query string; parameters it does not name are ignored."""

    model_config = ConfigDict(extra="ignore")

    category: str = ""
    topic: QueryId = 0
    series: QueryId = 0
    provider: QueryId = 0
    q: str = ""
    page: int = Field(default=1, le=MAX_ID)


class CourseCreate(Schema):
    provider_id: Id
    title: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=5000)
    category: Literal["public_compulsory", "public_elective", "professional"]
    topic_id: Id | None = None
    title_series_ids: list[Id] = Field(default=[], max_length=100)


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


class OffsetMismatch(Error):
    """A chunk sent for another offset than the bytes the server holds (a retry after a lost
    answer, or another tab): nothing is written."""

    video: VideoStatus = Field(description="the video's state: resume from its `received`")
