"""Two app servers on one database (PostgreSQL in CI), real HTTP requests arriving at the same
moment: one active playback, every heartbeat counted once, the course credited once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import flask_migrate
import pytest
import sqlalchemy as sa

from lms.auth import tokens
from lms.auth.models import Role
from lms.extensions import db
from lms.orgs.models import OrgKind
from lms.records import services as records
from lms.records.models import LearningRecord
from lms.watching.models import Playback, VideoProgress
from tests.conftest import make_app
from tests.databases import fresh_database
from tests.factories import make_org, make_user
from tests.servers import Server, at_once
from tests.watching.conftest import FakeClock, published_course


@pytest.fixture
def world(tmp_path) -> Iterator[Any]:
    with fresh_database("two_servers", tmp_path) as url:
        clock = FakeClock()
        apps = [make_app(url, MEDIA_ROOT=tmp_path / "media", PRESENCE_MIN_SECONDS=0,
                         HEARTBEAT_BATCHING=True) for _ in range(2)]
        for app in apps:
            app.extensions["clock"] = clock
        with apps[0].app_context():
            flask_migrate.upgrade()
            district = make_org(OrgKind.district, "环翠区")
            department = make_org(OrgKind.department, "卫健委")
            unit = make_org(OrgKind.unit, "医院", district=district, department=department)
            provider = make_org(OrgKind.provider, "继续教育基地", district=district)
            people = type("People", (), {"provider": make_user(Role.provider, provider)})
            orgs = type("Orgs", (), {"provider": provider})
            learner = make_user(Role.learner, unit=unit)
            video = published_course(people, orgs, 600).ready_videos[0]
            token, _ = tokens.issue(learner)
            ids = {"learner": learner.id, "video": video.id, "course": video.course_id}
            db.session.commit()
        servers = [Server(app) for app in apps]
        try:
            yield type("World", (), {"servers": servers, "clock": clock, "token": token,
                                     "apps": apps, **ids})
        finally:
            for server in servers:
                server.stop()


def read(world: Any, query: Any) -> Any:
    with world.apps[0].app_context():
        return db.session.execute(query).all()


def test_two_servers_starting_at_once_leave_one_playback_running(world):
    a, b = world.servers
    start = f"/api/v1/videos/{world.video}/playbacks"
    for _ in range(8):
        answers = at_once(lambda: a.post(start, world.token), lambda: b.post(start, world.token))
        assert [status for status, _ in answers] == [200, 200]
        running = read(world, sa.select(Playback.id).where(
            Playback.user_id == world.learner, Playback.ended_at.is_(None)))
        assert len(running) == 1


def test_the_same_heartbeat_on_two_servers_counts_once_and_credits_once(world):
    a, b = world.servers
    _, started = a.post(f"/api/v1/videos/{world.video}/playbacks", world.token)
    playback = started["playback"]

    def beat(server: Server, seq: int, position: float) -> dict:
        status, answer = server.post("/api/v1/heartbeats", world.token, {
            "playback": playback, "seq": seq, "position": position, "playing": True,
            "visible": True})
        assert status == 200, answer
        return answer

    beat(a, 1, 0)  # playing begins
    verdicts, credited, course_credited = [], 0.0, 0
    for n in range(1, 41):
        world.clock.advance(15)
        pair = at_once(lambda n=n: beat(a, n + 1, 15 * n), lambda n=n: beat(b, n + 1, 15 * n))
        verdicts.append(sorted(answer["verdict"] for answer in pair))
        credited += sum(answer["credited"] for answer in pair)
        course_credited += sum(answer["course_credited"] for answer in pair)

    assert verdicts == [["replay", "watched"]] * 40
    assert credited == 600 and course_credited == 1
    [(covered,)] = read(world, sa.select(VideoProgress.covered))
    assert covered == 600
    assert len(read(world, sa.select(LearningRecord.id))) == 1


def test_crediting_a_course_from_two_servers_at_once_inserts_one_row(world):
    def credit(app: Any) -> bool:
        with app.app_context():
            from lms.courses.models import Course

            course = db.session.get(Course, world.course)
            inserted = records.credit_course(world.learner, course, world.clock())
            db.session.commit()
            return inserted

    for _ in range(3):
        results = at_once(lambda: credit(world.apps[0]), lambda: credit(world.apps[1]))
        assert sorted(results) in ([False, True], [False, False])
    assert len(read(world, sa.select(LearningRecord.id))) == 1
