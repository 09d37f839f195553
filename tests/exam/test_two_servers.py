"""Two app servers on one database (PostgreSQL in CI) receiving exam requests at the same
moment — a double click that went to both, a retried request, two tabs: one attempt is
started, every answer saved is kept, a paper is graded once, and a pass credits the course's
hours exactly once (rules §5)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from functools import partial
from typing import Any
from urllib.parse import urlencode

import flask_migrate
import pytest
import sqlalchemy as sa

from lms.auth.models import Role
from lms.courses.models import Category
from lms.db import utcnow
from lms.exam import attempts, services
from lms.exam.models import ExamAttempt, Question
from lms.exam.questions import QuestionType, true_false
from lms.extensions import db
from lms.orgs.models import OrgKind
from lms.records.models import LearningRecord
from lms.watching.models import VideoProgress
from tests.conftest import Client, make_app
from tests.databases import fresh_database
from tests.factories import PASSWORD, make_org, make_user
from tests.servers import Server, at_once
from tests.watching.conftest import published_course

LEARNERS = 6


class Browser:
    """A learner's login (cookie and CSRF token) sending forms to either server."""

    def __init__(self, app: Any, id_number: str) -> None:
        app.test_client_class = Client
        client = app.test_client()
        assert client.submit("/login", {"id_number": id_number, "password": PASSWORD}
                             ).status_code == 302
        self.csrf = client.csrf_token("/home")
        self.cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value

    def save(self, server: Server, attempt_id: int, key: str, options: list[str]) -> int:
        """What the paper page sends as an answer is chosen."""
        status, _ = server.send(
            "POST", f"/exam/attempts/{attempt_id}/answers",
            json.dumps({"key": key, "options": options}).encode(),
            {"Cookie": f"lms_session={self.cookie}", "X-CSRFToken": self.csrf,
             "Content-Type": "application/json"})
        return status

    def post(self, server: Server, path: str) -> int:
        status, _ = server.send("POST", path, urlencode({"csrf_token": self.csrf}).encode(), {
            "Cookie": f"lms_session={self.cookie}",
            "Content-Type": "application/x-www-form-urlencoded"})
        return status


@pytest.fixture
def world(tmp_path) -> Iterator[Any]:
    with fresh_database("exam_servers", tmp_path) as url:
        apps = [make_app(url, MEDIA_ROOT=tmp_path / "media") for _ in range(2)]
        with apps[0].app_context():
            flask_migrate.upgrade()
            district = make_org(OrgKind.district, "环翠区")
            department = make_org(OrgKind.department, "人社局")
            unit = make_org(OrgKind.unit, "第一中学", district=district, department=department)
            provider = make_org(OrgKind.provider, "继续教育基地", district=district)
            people = type("People", (), {"provider": make_user(Role.provider, provider)})
            course = published_course(people, type("Orgs", (), {"provider": provider}), 600,
                                      category=Category.public_compulsory)
            exam_admin = make_user(Role.exam_admin)
            bank = services.create_bank(exam_admin, "公需科目题库")
            db.session.add_all(Question.from_draft(bank, true_false(f"判断{n}", n % 2 == 0))
                               for n in range(10))
            db.session.flush()
            services.save_exam(exam_admin, course, services.ExamFields(
                [bank.id], [], {QuestionType.true_false: (10, Decimal(10))}, minutes=30))
            learners = [make_user(Role.learner, unit=unit) for _ in range(LEARNERS)]
            for learner in learners:
                db.session.add(VideoProgress(
                    user_id=learner.id, video_id=course.videos[0].id, coverage=[[0, 600]],
                    covered=600.0, position=600.0, completed_at=utcnow()))
            ids = {"course": course.id, "learners": [learner.id for learner in learners]}
            id_numbers = [learner.id_number for learner in learners]
            db.session.commit()
        browsers = [Browser(apps[0], id_number) for id_number in id_numbers]
        servers = [Server(app) for app in apps]
        try:
            yield type("World", (), {"servers": servers, "apps": apps, "browsers": browsers,
                                     **ids})
        finally:
            for server in servers:
                server.stop()


def within(world: Any, work: Any) -> Any:
    with world.apps[0].app_context():
        try:
            return work()
        finally:
            db.session.remove()


def attempts_of(world: Any, learner_id: int) -> list[ExamAttempt]:
    return within(world, lambda: list(db.session.scalars(
        sa.select(ExamAttempt).where(ExamAttempt.user_id == learner_id))))


def answer_all_rightly(world: Any, learner_id: int, attempt_id: int) -> None:
    def work() -> None:
        from lms.auth.models import User

        learner = db.session.get(User, learner_id)
        attempt = db.session.get(ExamAttempt, attempt_id)
        for question in attempt.paper:
            attempts.save_answer(learner, attempt_id, question["key"], question["correct"])
        db.session.commit()

    within(world, work)


def test_starting_on_two_servers_at_once_opens_one_attempt(world):
    a, b = world.servers
    start = f"/exam/course/{world.course}/start"
    for browser, learner in zip(world.browsers, world.learners, strict=True):
        assert at_once(partial(browser.post, a, start),
                       partial(browser.post, b, start)) == [302, 302]
        assert len(attempts_of(world, learner)) == 1


def test_submitting_a_pass_on_two_servers_at_once_credits_the_course_once(world):
    a, b = world.servers
    for browser, learner in zip(world.browsers, world.learners, strict=True):
        browser.post(a, f"/exam/course/{world.course}/start")
        [attempt] = attempts_of(world, learner)
        answer_all_rightly(world, learner, attempt.id)

        submit = f"/exam/attempts/{attempt.id}/submit"
        assert at_once(partial(browser.post, a, submit), partial(browser.post, b, submit),
                       partial(browser.post, b, submit)) == [302, 302, 302]

        [graded] = attempts_of(world, learner)
        assert graded.passed and graded.score == Decimal(100)
    credited = within(world, lambda: db.session.execute(
        sa.select(LearningRecord.user_id, sa.func.count()).group_by(LearningRecord.user_id)
    ).all())
    assert sorted(credited) == sorted((learner, 1) for learner in world.learners)


def test_answers_saved_at_once_on_two_servers_are_all_kept(world):
    a, b = world.servers
    browser, learner = world.browsers[0], world.learners[0]
    browser.post(a, f"/exam/course/{world.course}/start")
    [attempt] = attempts_of(world, learner)
    saves = [partial(browser.save, (a, b)[n % 2], attempt.id, q["key"], q["correct"])
             for n, q in enumerate(attempt.paper)]
    assert at_once(*saves) == [200] * len(saves)
    [saved] = attempts_of(world, learner)
    assert saved.answers == {q["key"]: q["correct"] for q in attempt.paper}
