"""Fixtures: app (one per run, migrated to head), db (one rolled-back transaction per test),
client (each request in its own context, as on a real server), orgs, people, login_as, real
media files, a provider's draft course."""

from __future__ import annotations

import contextvars
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy.session import _app_ctx_id
from werkzeug.test import TestResponse

from lms import create_app
from lms.auth.models import AccountState, Role, User
from lms.courses.models import Category, Course
from lms.extensions import db
from lms.orgs.models import Organisation, OrgKind
from tests import media
from tests.databases import fresh_database
from tests.factories import PASSWORD, make_org, make_user

# Apps built by tests read their key from here, so none is written into the work tree.
os.environ.setdefault("LMS_SECRET_KEY", "test-secret-key")

#: Same algorithm as production, lower cost: hashing is not what these tests measure.
TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
    # Jobs run for real, inline after the request commits, so tests can look at their result.
    "JOBS_EAGER": True,
    # Heartbeats are judged in the request's own thread, inside the test's transaction; the
    # batcher thread is tested with servers of its own (tests/watching/test_two_servers.py).
    "HEARTBEAT_BATCHING": False,
    # Rate limits are tested with apps of their own (tests/auth/test_rate_limits.py).
    "RATELIMIT_ENABLED": False,
}
CSRF_INPUT = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def make_app(database_url: str, **overrides: Any) -> Flask:
    return create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **overrides})


def pytest_sessionstart(session: pytest.Session) -> None:
    """Compile the translation catalogs if `make` has not (plain `pytest` runs)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    from lms.config import PROJECT_ROOT

    for po_path in (PROJECT_ROOT / "lms/translations").glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
            with po_path.open("rb") as po, mo_path.open("wb") as mo:
                write_mo(mo, read_po(po))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database("suite", tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = make_app(database_url, MEDIA_ROOT=tmp_path_factory.mktemp("media"))
    with app.app_context():
        flask_migrate.upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def database(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The test's session: everything written by the test and its requests is rolled back;
    its media go to a folder of its own."""
    monkeypatch.setitem(app.config, "MEDIA_ROOT", tmp_path / "media")
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        real_session = db.session
        db.session = sa.orm.scoped_session(
            sa.orm.sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
            scopefunc=_app_ctx_id,
        )
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = real_session
            outer.rollback()
            connection.close()


class Client(FlaskClient):
    """A browser: each request runs in a fresh context, sharing nothing with the test."""

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        kwargs.setdefault("buffered", True)  # read file responses whole, and close them
        return contextvars.Context().run(super().open, *args, **kwargs)

    def csrf_token(self, page: str = "/") -> str:
        html = self.get(page, follow_redirects=True).get_data(as_text=True)
        match = CSRF_INPUT.search(html)
        assert match, f"no CSRF token on {page}"
        return match.group(1)

    def submit(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> TestResponse:
        """POST a form the way a browser would, with the page's CSRF token."""
        form = {"csrf_token": self.csrf_token(), **(data or {})}
        return self.post(url, data=form, **kwargs)


@pytest.fixture
def client(app: Flask, database: Any) -> Client:
    app.test_client_class = Client
    return app.test_client()  # type: ignore[return-value]


@pytest.fixture
def new_client(app: Flask, database: Any) -> Any:
    """Another browser, for tests with several devices."""
    app.test_client_class = Client
    return app.test_client


@dataclass
class Orgs:
    district: Organisation
    other_district: Organisation
    department: Organisation
    unit: Organisation
    other_unit: Organisation
    provider: Organisation
    other_provider: Organisation


@pytest.fixture
def orgs(database: Any) -> Orgs:
    district = make_org(OrgKind.district, "环翠区")
    other_district = make_org(OrgKind.district, "文登区")
    department = make_org(OrgKind.department, "威海市卫生健康委员会")
    unit = make_org(OrgKind.unit, "威海市立医院", district=district, department=department)
    other_unit = make_org(
        OrgKind.unit, "文登区人民医院", district=other_district, department=department
    )
    provider = make_org(OrgKind.provider, "威海职业学院继续教育基地", district=district)
    other_provider = make_org(OrgKind.provider, "文登区继续教育中心", district=other_district)
    return Orgs(district, other_district, department, unit, other_unit, provider, other_provider)


@dataclass
class People:
    learner: User
    pending: User
    provider: User
    other_provider: User
    exam_admin: User
    unit_reviewer: User
    other_unit_reviewer: User
    department_reviewer: User
    district_reviewer: User
    city_admin: User


@pytest.fixture
def people(orgs: Orgs) -> People:
    return People(
        learner=make_user(Role.learner, unit=orgs.unit, name="张伟"),
        pending=make_user(
            Role.learner, unit=orgs.unit, state=AccountState.pending, name="李娜"
        ),
        provider=make_user(Role.provider, orgs.provider, name="杨帆"),
        other_provider=make_user(Role.provider, orgs.other_provider, name="吴强"),
        exam_admin=make_user(Role.exam_admin, name="赵磊"),
        unit_reviewer=make_user(Role.unit_reviewer, orgs.unit, name="王芳"),
        other_unit_reviewer=make_user(Role.unit_reviewer, orgs.other_unit, name="周敏"),
        department_reviewer=make_user(Role.department_reviewer, orgs.department, name="刘洋"),
        district_reviewer=make_user(Role.district_reviewer, orgs.district, name="陈静"),
        city_admin=make_user(Role.city_admin, name="孙丽"),
    )


@pytest.fixture
def login_as(client: Client) -> Any:
    def login(user: User, password: str = PASSWORD, browser: Client | None = None) -> Client:
        browser = browser or client
        response = browser.submit(
            "/login", {"id_number": user.id_number, "password": password}
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        return browser

    return login


@pytest.fixture(scope="session")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One of each kind of file a provider might upload, made by ffmpeg."""
    d = tmp_path_factory.mktemp("files")
    (d / "empty.mp4").write_bytes(b"")
    (d / "text.mp4").write_text("这不是视频，只是改了扩展名的文本。\n" * 50)
    return {
        "good": media.video(d / "good.mp4", seconds=8, size="640x360"),
        "hd": media.video(d / "hd.mp4", seconds=7, size="1280x720"),
        "small": media.video(d / "small.mp4", seconds=3, size="320x240"),
        "empty": d / "empty.mp4",
        "text": d / "text.mp4",
        "truncated": media.truncated_mp4(d / "truncated.mp4"),
        "audio": media.audio_only(d / "audio.m4a"),
        "long": media.long_tiny_video(d / "long.mp4", minutes=46),
        "rotated": media.rotated_phone_video(d / "rotated.mp4"),
        "vfr_webm": media.vfr_webm_without_duration(d / "vfr.webm"),
        "two_streams": media.two_video_streams(d / "two.mp4"),
        "two_audio": media.two_audio_tracks(d / "two-audio.mp4"),
        "picture": media.picture(d / "picture.png"),
    }


@pytest.fixture
def course(database: Any, people: Any, orgs: Any) -> Course:
    draft = Course(
        title="职业道德与能力建设", category=Category.professional, provider=orgs.provider,
        created_by_id=people.provider.id,
    )
    db.session.add(draft)
    db.session.flush()
    return draft


# --- strict mode: in CI a skipped test is a failure (LMS_TEST_STRICT=1) ----------------------


def _skipped(session: pytest.Session) -> list[Any]:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    return list(reporter.stats.get("skipped", [])) if reporter else []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("LMS_TEST_STRICT") == "1" and _skipped(session) and exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter: Any) -> None:
    skipped = terminalreporter.stats.get("skipped", [])
    if os.environ.get("LMS_TEST_STRICT") == "1" and skipped:
        terminalreporter.write_line(
            f"LMS_TEST_STRICT=1: {len(skipped)} skip(s) count as failures.", red=True
        )
