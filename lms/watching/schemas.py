"""The JSON API's types for playbacks and heartbeats."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from lms.jsonapi import Schema


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
    """What the player says every few seconds. Its clock is not asked: the server's decides.
    Strict: each value is of its JSON type (``true`` is no sequence number, ``"5"`` no
    position; an integer is a number)."""

    model_config = ConfigDict(extra="forbid", strict=True)

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
