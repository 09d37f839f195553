"""A course of ready videos, the server's clock in the test's hands, and a scripted player."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from lms.courses.models import Category, Course, CourseStatus, Video, VideoState
from lms.db import utcnow
from lms.extensions import db


class FakeClock:
    """The server's clock, moved by the test: an hour of watching takes no time."""

    def __init__(self) -> None:
        self.moment = utcnow()

    def __call__(self) -> Any:
        return self.moment

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


@pytest.fixture
def clock(app: Any, monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setitem(app.extensions, "clock", fake)
    # Presence checks are asked at random; the tests about them set their own moments.
    monkeypatch.setitem(app.config, "PRESENCE_MIN_SECONDS", 0)
    return fake


def published_course(people: Any, orgs: Any, *durations: int, title: str = "医疗纠纷预防与处理",
                     category: Category = Category.professional) -> Course:
    """A published course whose videos are ready (their media are not needed here)."""
    course = Course(title=title, category=category, provider=orgs.provider,
                    status=CourseStatus.published, published_at=utcnow())
    for n, seconds in enumerate(durations):
        course.videos.append(Video(
            title=f"第{n + 1}讲", position=n, original_filename=f"{n}.mp4", size=1, received=1,
            state=VideoState.ready, duration_seconds=seconds, rendition=f"r/{n}",
            uploaded_by_id=people.provider.id,
        ))
    db.session.add(course)
    db.session.flush()
    return course


@pytest.fixture
def lecture(people: Any, orgs: Any) -> Course:
    """Two videos: ten minutes and five."""
    return published_course(people, orgs, 600, 300)


class Player:
    """What a scripted player (honest or not) sends: it starts a playback and posts heartbeats
    through the real API, with the browser's cookie and CSRF token, or a bearer token."""

    def __init__(self, client: Any, clock: FakeClock, video: Video,
                 bearer: str | None = None) -> None:
        self.client, self.clock, self.video = client, clock, video
        self.headers = ({"Authorization": f"Bearer {bearer}"} if bearer
                        else {"X-CSRFToken": client.csrf_token("/home")})
        started = client.post(f"/api/v1/videos/{video.id}/playbacks", headers=self.headers)
        assert started.status_code == 200, started.get_data(as_text=True)
        self.started = started.get_json()
        self.playback = self.started["playback"]
        self.seq = 0
        self.position = self.started["resume_at"]

    def send(self, **body: Any) -> Any:
        return self.client.post("/api/v1/heartbeats", headers=self.headers,
                                json={"playback": self.playback, **body})

    def beat(self, position: float, *, after: float = 15, playing: bool = True,
             visible: bool = True, seq: int | None = None, answer: str | None = None) -> dict:
        """``after`` server seconds pass, then a heartbeat says the player is at ``position``."""
        self.clock.advance(after)
        if seq is None:
            self.seq += 1
            seq = self.seq
        response = self.send(seq=seq, position=position, playing=playing, visible=visible,
                             presence_answer=answer)
        assert response.status_code == 200, response.get_data(as_text=True)
        self.position = position
        return response.get_json()

    def play(self, until: float, *, every: float = 15, speed: float = 1.0, **flags: Any) -> dict:
        """Play from where it is to ``until``, a heartbeat every ``every`` server seconds, the
        media advancing ``speed`` times as fast."""
        answer: dict = {}
        while self.position < until:
            answer = self.beat(min(until, self.position + every * speed), after=every, **flags)
        return answer

    def press_play(self) -> dict:
        """The player's first heartbeat, sent when playing begins."""
        return self.beat(self.position, after=0.5)
